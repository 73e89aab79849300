// POST /v1/chat/completions and POST /v1/completions: OpenAI request bodies parsed and validated
// (openai_request.h), answered by serve_generation() through a GenerationStream (a ChoicesStream
// for several choices: n, batched prompts).
#include <memory>

#include "server/choices_stream.h"
#include "server/context.h"
#include "server/generation_job.h"
#include "server/generation_stream.h"
#include "server/json_fields.h"
#include "server/request_body.h"

namespace trit::server {
namespace {

void handle_generation(ServerContext& ctx, const std::string& text, httplib::Response& res, bool chat) {
  InFlight::Ticket ticket = ctx.in_flight.enter();  // before the check: see in_flight.h
  if (!require_ready(ctx, res)) return;
  const json body = parse_json_object(text);
  GenerationRequest request =
      chat ? parse_chat_request(body, ctx.request_context) : parse_completion_request(body, ctx.request_context);
  const engine::Engine* engine = ctx.engine;
  const std::string model_id = ctx.options.model_id;
  serve_generation(
      ctx, std::move(ticket), std::move(request),
      [chat, engine, model_id](const GenerationRequest& r) -> std::unique_ptr<ResponseWriter> {
        const size_t choices = choice_requests(r).size();
        if (choices == 1) return std::make_unique<GenerationStream>(chat, r, engine->tokenizer(), model_id);
        return std::make_unique<ChoicesStream>(chat, r, engine->tokenizer(), model_id, choices);
      },
      res);
}

}  // namespace

void add_generation_routes(ServerContext& ctx) {
  ServerContext* c = &ctx;
  post_with_body(ctx, "/v1/chat/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, true);
  });
  post_with_body(ctx, "/v1/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, false);
  });
  // Some clients leave out the /v1 prefix.
  post_with_body(ctx, "/chat/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, true);
  });
  post_with_body(ctx, "/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, false);
  });
}

}  // namespace trit::server
