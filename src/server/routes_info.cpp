// GET /health (and /v1/health), GET /v1/models, GET /v1/models/{id}, GET /metrics (Prometheus text),
// POST /tokenize, POST /detokenize.
#include <cstdio>

#include "server/api_error.h"
#include "server/context.h"
#include "server/json_fields.h"
#include "server/request_body.h"
#include "tokenizer/utf8.h"

namespace trit::server {
namespace {

// One Prometheus metric: HELP, TYPE and the sample.
void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  char line[512];
  std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, value);
  out += line;
}

std::string metrics_text(ServerContext& ctx) {
  const engine::SchedulerMetrics m = ctx.scheduler->metrics();
  std::string out;
  metric(out, "trit_http_requests_total", "counter", "HTTP requests received", double(ctx.http_requests.load()));
  metric(out, "trit_requests_total", "counter", "Generation requests accepted", double(m.requests_total));
  metric(out, "trit_requests_rejected_total", "counter", "Generation requests refused because the queue was full",
         double(m.requests_rejected));
  metric(out, "trit_requests_cancelled_total", "counter", "Generations cancelled (client gone)",
         double(m.requests_cancelled));
  metric(out, "trit_prompt_tokens_total", "counter", "Prompt tokens received (tokens in)", double(m.prompt_tokens_total));
  metric(out, "trit_prompt_tokens_cached_total", "counter", "Prompt tokens reused from a slot's KV cache",
         double(m.prompt_tokens_cached));
  metric(out, "trit_prompt_tokens_computed_total", "counter", "Prompt tokens run through the model",
         double(m.prompt_tokens_computed));
  metric(out, "trit_generated_tokens_total", "counter", "Tokens generated (tokens out)", double(m.generated_tokens_total));
  metric(out, "trit_steps_total", "counter", "Batched forward steps", double(m.steps_total));
  metric(out, "trit_draft_tokens_total", "counter", "Speculative decoding: tokens drafted (finished requests)",
         double(m.draft_tokens_total));
  metric(out, "trit_draft_tokens_accepted_total", "counter", "Speculative decoding: drafted tokens the model agreed with",
         double(m.draft_accepted_total));
  metric(out, "trit_prompt_cache_hits_total", "counter", "Requests whose prompt prefix came from the RAM prompt cache",
         double(m.prompt_cache_hits));
  metric(out, "trit_prompt_cache_entries", "gauge", "Conversations held in the RAM prompt cache",
         double(m.prompt_cache_entries));
  metric(out, "trit_prompt_cache_bytes", "gauge", "Bytes of the RAM prompt cache", double(m.prompt_cache_bytes));
  metric(out, "trit_busy_seconds_total", "counter", "Seconds spent in forward steps", m.busy_seconds);
  metric(out, "trit_decode_tokens_per_second", "gauge", "Generated tokens per second over recent steps (all slots)",
         m.decode_tokens_per_second);
  metric(out, "trit_queue_length", "gauge", "Requests waiting for a slot", double(m.queue_length));
  metric(out, "trit_slots", "gauge", "Slots (sequences decoded together)", double(m.slots));
  metric(out, "trit_slots_busy", "gauge", "Slots generating now", double(m.slots_busy));
  metric(out, "trit_kv_cache_positions_used", "gauge",
         "KV cache positions holding tokens, summed over slots (a prefix slots share counts in each)",
         double(m.kv_positions_used));
  metric(out, "trit_kv_cache_positions_total", "gauge", "KV cache positions of the pool all slots share (-c)",
         double(m.kv_positions_total));
  metric(out, "trit_kv_cache_pages_used", "gauge", "KV pool pages held by slots (a page slots share counts once)",
         double(m.kv_pages_used));
  metric(out, "trit_kv_cache_pages_free", "gauge", "KV pool pages free", double(m.kv_pages_total - m.kv_pages_used));
  metric(out, "trit_kv_cache_pages_total", "gauge", "KV pool pages", double(m.kv_pages_total));
  metric(out, "trit_kv_cache_pool_bytes", "gauge",
         "Bytes of the KV pool's storage, resident as far as its pages have been written", double(m.kv_pool_bytes));
  metric(out, "trit_kv_cache_page_positions", "gauge", "Positions per KV pool page", double(m.kv_page_positions));
  metric(out, "trit_kv_cache_usage_ratio", "gauge", "KV pool pages used / total",
         m.kv_pages_total > 0 ? double(m.kv_pages_used) / double(m.kv_pages_total) : 0.0);
  metric(out, "trit_kv_cache_full_failures_total", "counter",
         "Generations ended because the KV pool had no page left for them", double(m.kv_pool_full_failures));
  return out;
}

json model_object(ServerContext& c) {
  json model = {{"id", c.options.model_id}, {"object", "model"}, {"created", c.created}, {"owned_by", "trit"}};
  model["meta"] = {{"n_ctx", c.scheduler->context()},
                   {"n_slots", c.scheduler->options().slots},
                   {"n_vocab", c.engine->config().n_vocab},
                   {"n_layers", c.engine->config().n_layers},
                   {"n_embd", c.engine->config().n_embd}};
  return model;
}

}  // namespace

void add_info_routes(ServerContext& ctx) {
  ServerContext* c = &ctx;
  // The load balancer's readiness check: 503 until the model is loaded, and again from the
  // moment a shutdown begins (the drain), so no new request is routed here.
  auto health = [c](const httplib::Request&, httplib::Response& res) {
    const bool shutting_down = c->draining.load() || c->stopping.load();
    if (!c->ready.load() || shutting_down) {
      res.set_header("Retry-After", "1");
      send_json(res, {{"status", shutting_down ? "shutting down" : "loading"}}, 503);
      return;
    }
    send_json(res, {{"status", "ok"}});
  };
  ctx.http.Get("/health", health);
  ctx.http.Get("/v1/health", health);  // llama-server answers both

  auto models = [c](const httplib::Request&, httplib::Response& res) {
    if (!require_ready(*c, res)) return;
    send_json(res, {{"object", "list"}, {"data", json::array({model_object(*c)})}});
  };
  ctx.http.Get("/v1/models", models);
  ctx.http.Get("/models", models);
  // OpenAI's models.retrieve: the one model this server runs, by its id (which may hold '/').
  auto model = [c](const httplib::Request& req, httplib::Response& res) {
    if (!require_ready(*c, res)) return;
    const std::string id = req.matches.size() > 1 ? req.matches[1].str() : "";
    if (id != c->options.model_id)
      throw ApiError(404, "the model '" + id + "' does not exist: this server runs '" + c->options.model_id + "'",
                     "model", "model_not_found");
    send_json(res, model_object(*c));
  };
  ctx.http.Get("/v1/models/(.+)", model);
  ctx.http.Get("/models/(.+)", model);

  ctx.http.Get("/metrics", [c](const httplib::Request&, httplib::Response& res) {
    if (!require_ready(*c, res)) return;
    res.set_content(metrics_text(*c), "text/plain; version=0.0.4");
  });

  // {"content": "text", "add_special": false, "parse_special": true} -> {"tokens": [...]}
  post_with_body(ctx, "/tokenize", [c](const httplib::Request&, httplib::Response& res, const std::string& text) {
    if (!require_ready(*c, res)) return;
    const json body = parse_json_object(text);
    auto content = get_string(body, "content");
    if (!content) throw ApiError(400, "'content' (a string) is required", "content");
    const bool parse_special = get_bool(body, "parse_special").value_or(true);
    const auto& tok = c->engine->tokenizer();
    std::vector<int32_t> ids = tok.encode(*content, parse_special);
    if (get_bool(body, "add_special").value_or(false) && tok.add_bos()) ids.insert(ids.begin(), tok.bos_id());
    json pieces = json::array();
    if (get_bool(body, "with_pieces").value_or(false)) {
      // A piece that is not valid UTF-8 by itself (part of a character) is its bytes, as
      // llama-server sends it.
      for (int32_t id : ids) {
        const std::string& bytes = tok.token_bytes(id);
        json piece = bytes;
        if (!tokenizer::is_valid_utf8(bytes)) {
          piece = json::array();
          for (unsigned char b : bytes) piece.push_back(int(b));
        }
        pieces.push_back({{"id", id}, {"piece", piece}});
      }
      send_json(res, {{"tokens", pieces}});
      return;
    }
    send_json(res, {{"tokens", ids}});
  });

  // {"tokens": [...]} -> {"content": "text"}
  post_with_body(ctx, "/detokenize", [c](const httplib::Request&, httplib::Response& res, const std::string& text) {
    if (!require_ready(*c, res)) return;
    const json body = parse_json_object(text);
    const json* tokens = get_array(body, "tokens");
    if (!tokens) throw ApiError(400, "'tokens' (an array of token ids) is required", "tokens");
    const auto& tok = c->engine->tokenizer();
    std::vector<int32_t> ids;
    for (const json& t : *tokens) {
      if (!t.is_number_integer()) throw ApiError(400, "'tokens' must hold integer token ids", "tokens");
      const int64_t id = t.get<int64_t>();
      if (id < 0 || id >= static_cast<int64_t>(tok.vocab_size()))
        throw ApiError(400, "token id " + std::to_string(id) + " is outside the vocabulary", "tokens");
      ids.push_back(static_cast<int32_t>(id));
    }
    send_json(res, {{"content", tok.decode(ids)}});
  });
}

}  // namespace trit::server
