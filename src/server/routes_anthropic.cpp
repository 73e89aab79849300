// POST /v1/messages and POST /v1/messages/count_tokens: Anthropic's Messages API, as Claude Code
// and the Anthropic SDKs call it. Requests are parsed into the same GenerationRequest as chat
// completions (anthropic_request.h) and answered by serve_generation() through an
// AnthropicStream; errors on these paths take Anthropic's shape (api_error.h).
#include <memory>

#include "server/anthropic_request.h"
#include "server/anthropic_stream.h"
#include "server/context.h"
#include "server/generation_job.h"
#include "server/json_fields.h"
#include "server/request_body.h"

namespace trit::server {
namespace {

void handle_messages(ServerContext& ctx, const std::string& text, httplib::Response& res) {
  InFlight::Ticket ticket = ctx.in_flight.enter();  // before the check: see in_flight.h
  if (!require_ready(ctx, res)) return;
  GenerationRequest request = parse_anthropic_request(parse_json_object(text), ctx.request_context);
  const std::string model_id = ctx.options.model_id;
  serve_generation(
      ctx, std::move(ticket), std::move(request),
      [model_id](const GenerationRequest& r) { return std::make_unique<AnthropicStream>(r, model_id); }, res);
}

void handle_count_tokens(ServerContext& ctx, const std::string& text, httplib::Response& res) {
  if (!require_ready(ctx, res)) return;
  send_json(res, {{"input_tokens", count_anthropic_tokens(parse_json_object(text), ctx.request_context)}});
}

}  // namespace

void add_anthropic_routes(ServerContext& ctx) {
  ctx.error_shapes.emplace_back("/v1/messages", ErrorShape::anthropic);
  ServerContext* c = &ctx;
  post_with_body(ctx, "/v1/messages", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_messages(*c, body, res);
  });
  post_with_body(ctx, "/v1/messages/count_tokens",
                 [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
                   handle_count_tokens(*c, body, res);
                 });
}

}  // namespace trit::server
