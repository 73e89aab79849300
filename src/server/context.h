// State shared by the route handlers of one server (internal to server/).
#pragma once
#include <atomic>
#include <chrono>
#include <httplib.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/scheduler.h"
#include "server/api_error.h"
#include "server/gated_http_server.h"
#include "server/in_flight.h"
#include "server/openai_request.h"
#include "server/response_store.h"
#include "server/server.h"

namespace trit::server {

struct ServerContext {
  ServerOptions options;
  GatedHttpServer http;  // httplib with a gate against slow clients (gated_http_server.h)
  size_t http_workers = 16;
  std::thread listener;

  // Set once by set_ready(); read by handlers after checking `ready`.
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> draining{false};  // a shutdown has begun: nothing new is admitted
  InFlight in_flight;                 // generation requests not yet answered
  engine::Engine* engine = nullptr;
  engine::Scheduler* scheduler = nullptr;
  RequestContext request_context;
  int64_t created = 0;  // unix time the server started (the model's "created")
  std::atomic<int64_t> http_requests{0};
  ResponseStore responses;  // the Responses API's stored responses (store: true)
  // Path prefixes whose errors take another API's shape (a prefix matches itself and the paths
  // below it); set while routes are added, read before routing each request.
  std::vector<std::pair<std::string, ErrorShape>> error_shapes;
};

// Route groups, each in its own file.
void add_generation_routes(ServerContext& ctx);  // /v1/chat/completions, /v1/completions
void add_info_routes(ServerContext& ctx);        // /health, /v1/models, /metrics, /tokenize, /detokenize
void add_native_routes(ServerContext& ctx);      // llama.cpp's /completion, /infill, /props, /slots, /apply-template
void add_page_routes(ServerContext& ctx);        // the chat page
void add_responses_routes(ServerContext& ctx);   // /v1/responses (OpenAI Responses API)
void add_anthropic_routes(ServerContext& ctx);   // /v1/messages, /v1/messages/count_tokens

// Writes an error body with `status`, in the shape of the request's route (OpenAI's unless the
// route chose another: ServerContext::error_shapes); `code` empty picks the status's default.
void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = "",
                const std::string& code = "");
// A JSON body (invalid UTF-8 replaced, never thrown on).
void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
std::string dump_json(const nlohmann::json& body);
// The API is not usable yet (503) or the request must wait: false after answering.
bool require_ready(ServerContext& ctx, httplib::Response& res);

}  // namespace trit::server
