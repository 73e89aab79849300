// OpenAI's Responses API: POST /v1/responses (parsed by responses_request.h, answered by
// serve_generation() through a ResponsesStream), and the stored responses behind it:
// GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}.
#include <algorithm>
#include <memory>

#include "server/api_error.h"
#include "server/context.h"
#include "server/generation_job.h"
#include "server/json_fields.h"
#include "server/request_body.h"
#include "server/responses_request.h"
#include "server/responses_stream.h"

namespace trit::server {
namespace {

void handle_create(ServerContext& ctx, const std::string& text, httplib::Response& res) {
  InFlight::Ticket ticket = ctx.in_flight.enter();  // before the check: see in_flight.h
  if (!require_ready(ctx, res)) return;
  const json body = parse_json_object(text);
  auto request = std::make_shared<ResponsesRequest>(parse_responses_request(body, ctx.request_context, ctx.responses));
  GenerationRequest generation = std::move(request->generation);
  const engine::Engine* engine = ctx.engine;
  ResponseStore* store = &ctx.responses;
  const std::string model_id = ctx.options.model_id;
  serve_generation(
      ctx, std::move(ticket), std::move(generation),
      [request, engine, store, model_id](const GenerationRequest& g) {
        return std::make_unique<ResponsesStream>(g, std::move(*request), engine->tokenizer(), model_id, *store);
      },
      res);
}

void send_not_found(httplib::Response& res, const std::string& id) {
  send_error(res, 404, "Response with id '" + id + "' not found.", "response_id");
}

// GET .../input_items: OpenAI's list object, oldest first ("order": "asc") unless asked otherwise.
json input_items_list(const json& items, const httplib::Request& req) {
  json data = items;
  if (req.get_param_value("order") != "asc") std::reverse(data.begin(), data.end());
  json list = {{"object", "list"}, {"data", data}, {"has_more", false}};
  list["first_id"] = data.empty() ? json(nullptr) : data.front()["id"];
  list["last_id"] = data.empty() ? json(nullptr) : data.back()["id"];
  return list;
}

}  // namespace

void add_responses_routes(ServerContext& ctx) {
  ServerContext* c = &ctx;
  auto create = [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_create(*c, body, res);
  };
  post_with_body(ctx, "/v1/responses", create);
  post_with_body(ctx, "/responses", create);

  ctx.http.Get(R"(/v1/responses/([^/]+))", [c](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (auto stored = c->responses.get(id)) return send_json(res, stored->response);
    send_not_found(res, id);
  });
  ctx.http.Get(R"(/v1/responses/([^/]+)/input_items)", [c](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (auto stored = c->responses.get(id)) return send_json(res, input_items_list(stored->input_items, req));
    send_not_found(res, id);
  });
  auto erase = [c](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (c->responses.erase(id)) return send_json(res, {{"id", id}, {"object", "response.deleted"}, {"deleted", true}});
    send_not_found(res, id);
  };
  ctx.http.Delete(R"(/v1/responses/([^/]+))", erase);
  // A DELETE that announces a body (Content-Length: 0 included) is routed to content readers.
  ctx.http.Delete(R"(/v1/responses/([^/]+))",
                  [erase](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
                    reader([](const char*, size_t) { return true; });
                    erase(req, res);
                  });
}

}  // namespace trit::server
