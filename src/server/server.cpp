#include "server/server.h"

#include <algorithm>
#include <ctime>

#include "engine/prompt.h"
#include "server/api_error.h"
#include "server/context.h"
#include "server/request_body.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::server {

std::string dump_json(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(dump_json(body), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param,
                const std::string& code) {
  send_json(res, error_body(thread_error_shape(), status, message, param, code), status);
}

bool require_ready(ServerContext& ctx, httplib::Response& res) {
  const bool shutting_down = ctx.stopping.load() || ctx.draining.load();
  if (ctx.ready.load() && !shutting_down) return true;
  res.set_header("Retry-After", "1");
  if (shutting_down) send_error(res, 503, "the server is shutting down", "", "server_shutting_down");
  else send_error(res, 503, "the model is still loading", "", "model_loading");
  return false;
}

namespace {

// A request body may take head_timeout_seconds plus one second per this many bytes: no real
// client is slower, and a client that trickles its body frees its worker soon.
constexpr size_t kBodyMinBytesPerSecond = 16 * 1024;

// Paths anyone may fetch without the API key: the health check and the page itself (the page
// asks for the key in its settings when the API answers 401).
bool public_path(const std::string& path) {
  return path == "/health" || path == "/v1/health" || path == "/" || path == "/index.html" || path == "/app.js" || path == "/style.css" ||
         path == "/favicon.ico";
}

ErrorShape error_shape_of(const ServerContext& ctx, const std::string& path) {
  for (const auto& [prefix, shape] : ctx.error_shapes)
    if (path.rfind(prefix, 0) == 0 && (path.size() == prefix.size() || path[prefix.size()] == '/')) return shape;
  return ErrorShape::openai;
}

// The API key as the clients send it: OpenAI's "Authorization: Bearer KEY", or Anthropic's
// "x-api-key: KEY" (Claude Code; the Anthropic SDKs send either).
bool has_api_key(const httplib::Request& req, const std::string& key) {
  return req.get_header_value("Authorization") == "Bearer " + key || req.get_header_value("x-api-key") == key;
}

// Browsers send a preflight before a cross-origin request with headers of its own; the official
// SDKs add many (OpenAI's and Anthropic's X-Stainless-*, anthropic-version, x-api-key, ...), so
// the preflight allows whatever it asks for (Access-Control-Request-Headers). Access is decided
// by the API key, not by CORS: the origin is "*" and no cookies are involved.
void set_cors(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Access-Control-Allow-Origin", "*");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  std::string allowed = "Authorization, Content-Type, Accept";
  const std::string asked = req.get_header_value("Access-Control-Request-Headers");
  // A header value with a CR or LF would split the response; httplib refuses those anyway.
  if (!asked.empty() && asked.size() <= 4096 && asked.find_first_of("\r\n") == std::string::npos) allowed = asked;
  res.set_header("Access-Control-Allow-Headers", allowed);
  res.set_header("Access-Control-Max-Age", "86400");
  if (!asked.empty()) res.set_header("Vary", "Access-Control-Request-Headers");
}

}  // namespace

Server::Server(const ServerOptions& options) : ctx_(std::make_unique<ServerContext>()) {
  ctx_->options = options;
  ctx_->created = static_cast<int64_t>(std::time(nullptr));
  GatedHttpServer& http = ctx_->http;
  ServerContext* ctx = ctx_.get();

  // Bodies are read by the routes themselves (request_body.h); this covers any other reader.
  http.set_payload_max_length(options.max_body_bytes);
  http.set_keep_alive_timeout(5);
  // Answers are written in several small sends (head, chunks); with Nagle's algorithm a reused
  // connection waited for the client's delayed ACK, about 40 ms per request.
  http.set_tcp_nodelay(true);
  http.set_read_timeout(30);
  http.set_write_timeout(30);
  http.set_request_deadlines(std::chrono::seconds(options.head_timeout_seconds), kBodyMinBytesPerSecond);

  http.set_pre_routing_handler([ctx](const httplib::Request& req, httplib::Response& res) {
    ++ctx->http_requests;
    set_thread_error_shape(error_shape_of(*ctx, req.path));
    set_cors(req, res);
    if (req.method == "OPTIONS") {  // CORS preflight
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    // Answers given here leave any body unread, so they close the connection.
    if (lacks_body_framing(req)) {
      send_error(res, 411, "a " + req.method + " request needs a Content-Length header or chunked Transfer-Encoding");
      close_after_response(res);
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string& key = ctx->options.api_key;
    if (!key.empty() && !public_path(req.path) && !has_api_key(req, key)) {
      send_error(res, 401,
                 req.has_header("Authorization") || req.has_header("x-api-key")
                     ? "the API key is not correct"
                     : "an API key is required: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'");
      close_after_response(res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Statuses httplib sets by itself (404, 413 for a body over the limit, 400 for a bad request
  // line) get an OpenAI-shaped body too; handlers' own errors already have one (in the body, or
  // in a content provider, which sets the Content-Type).
  http.set_error_handler(httplib::Server::HandlerWithResponse([ctx](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.has_header("Content-Type")) return httplib::Server::HandlerResponse::Unhandled;
    set_thread_error_shape(error_shape_of(*ctx, req.path));  // a request that never reached routing too
    if (!res.has_header("Access-Control-Allow-Origin")) set_cors(req, res);
    std::string message;
    switch (res.status) {
      case 404: message = "no route for " + req.method + " " + req.path; break;
      case 413:
        message = "the request body is larger than the limit of " + std::to_string(ctx->options.max_body_bytes) +
                  " bytes";
        break;
      case 405: message = "method " + req.method + " is not allowed on " + req.path; break;
      default: message = "the request could not be handled (HTTP " + std::to_string(res.status) + ")";
    }
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));

  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_error(res, e.status(), e.what(), e.param(), e.code());
    } catch (const Error& e) {
      send_error(res, 400, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      send_error(res, 500, "internal error");
    }
  });

  add_info_routes(*ctx);
  add_generation_routes(*ctx);
  add_responses_routes(*ctx);
  add_anthropic_routes(*ctx);
  add_native_routes(*ctx);
  add_page_routes(*ctx);
  add_unrouted_body_handlers(*ctx);  // last: its pattern matches every path
}

Server::~Server() {
  stop();
  wait();
}

int Server::bind(int queue_limit_hint, int slots_hint) {
  // One HTTP worker per request being served: every slot's stream, every queued request, plus
  // room for health checks, metrics and the page. Connections still sending their request head,
  // or idle between keep-alive requests, wait at the gate and hold none.
  int threads = ctx_->options.http_threads;
  if (threads <= 0) threads = std::clamp(slots_hint + queue_limit_hint + 8, 16, 512);
  ctx_->http_workers = static_cast<size_t>(threads);
  const ServerOptions& o = ctx_->options;
  int port = o.port;
  if (port == 0) {
    port = ctx_->http.bind_to_any_port(o.host);
    if (port < 0) fail("cannot bind an HTTP port on ", o.host);
  } else if (!ctx_->http.bind_to_port(o.host, port)) {
    fail("cannot listen on ", o.host, ":", port, " (in use, or not an address of this machine)");
  }
  ctx_->options.port = port;
  return port;
}

void Server::start() {
  ctx_->http.open_gate(ctx_->http_workers);
  ctx_->listener = std::thread([ctx = ctx_.get()] { ctx->http.listen_after_bind(); });
}

void Server::set_ready(engine::Engine& engine, engine::Scheduler& scheduler) {
  ServerContext& c = *ctx_;
  c.engine = &engine;
  c.scheduler = &scheduler;
  c.request_context.tokenizer = &engine.tokenizer();
  c.request_context.chat_format = engine::chat_format_of(engine.tokenizer(), c.options.chat_template_file);
  c.request_context.sampling_defaults = c.options.sampling_defaults;
  c.request_context.random_seed = c.options.random_seed;
  c.request_context.context = scheduler.context();
  const engine::SpeculationOptions& speculation = scheduler.options().speculation;
  c.request_context.drafts_by_model = speculation.draft_model != nullptr || speculation.mtp_model != nullptr;
  c.ready.store(true);
}

void Server::stop() {
  ctx_->stopping.store(true);
  ctx_->http.stop();
}

bool Server::stopping() const { return ctx_->stopping.load(); }

void Server::begin_drain() { ctx_->draining.store(true); }

int Server::in_flight() const { return ctx_->in_flight.count(); }

bool Server::wait_drained(std::chrono::steady_clock::time_point until) { return ctx_->in_flight.wait_for_none(until); }

void Server::wait() {
  if (ctx_->listener.joinable()) ctx_->listener.join();
  ctx_->http.close_gate();
}

}  // namespace trit::server
