// llama.cpp's native endpoints, shaped as llama-server shapes them so its clients (llama.vim,
// llama.vscode, scripts) work unchanged: POST /completion, POST /infill (native_request.h,
// answered through serve_generation() by a NativeStream), GET /props (POST /props is refused:
// properties are fixed at start), GET /slots (POST /slots/N?action=... is refused), POST
// /apply-template.
#include <algorithm>
#include <memory>

#include "server/api_error.h"
#include "server/context.h"
#include "server/generation_job.h"
#include "server/json_fields.h"
#include "server/native_request.h"
#include "server/native_settings.h"
#include "server/native_stream.h"
#include "server/request_body.h"

namespace trit::server {
namespace {

void handle_native(ServerContext& ctx, const std::string& text, httplib::Response& res, bool infill) {
  InFlight::Ticket ticket = ctx.in_flight.enter();  // before the check: see in_flight.h
  if (!require_ready(ctx, res)) return;
  const json body = parse_json_object(text);
  const int slots = ctx.scheduler->options().slots;
  if (auto id = get_integer(body, "id_slot", -1, INT32_MAX); id && *id >= slots)
    throw ApiError(400, "'id_slot' must be -1 (any) or a slot below " + std::to_string(slots), "id_slot");
  auto native = std::make_shared<NativeRequest>(infill ? parse_native_infill(body, ctx.request_context)
                                                       : parse_native_completion(body, ctx.request_context));
  GenerationRequest request = std::move(native->generation);
  const tokenizer::Tokenizer* tok = &ctx.engine->tokenizer();
  const std::string model_id = ctx.options.model_id;
  const int64_t n_ctx = ctx.scheduler->context();
  serve_generation(
      ctx, std::move(ticket), std::move(request),
      [native, tok, model_id, n_ctx](const GenerationRequest& r) {
        return std::make_unique<NativeStream>(r, *native, *tok, model_id, n_ctx);
      },
      res);
}

json next_token(const engine::SlotState& s) {
  const int64_t max = s.options.max_tokens;
  return {{"has_next_token", s.busy},
          {"has_new_line", false},
          {"n_remain", max < 0 ? -1 : std::max<int64_t>(max - s.generated, 0)},
          {"n_decoded", s.generated},
          {"stopping_word", ""}};
}

json slot_json(ServerContext& ctx, const engine::SlotState& s) {
  NativeSettings settings;
  settings.options = s.options;
  settings.n_probs = s.logprobs > 0 ? s.logprobs : 0;
  settings.ignore_eos = s.ignore_eos;
  settings.n_ctx = ctx.scheduler->context();
  settings.model = ctx.options.model_id;
  return {{"id", s.id},
          {"id_task", -1},
          {"n_ctx", ctx.scheduler->context()},
          {"speculative", false},
          {"is_processing", s.busy},
          {"is_prefilling", s.prefilling},
          {"n_prompt_tokens", s.prompt_tokens},
          {"n_cached", s.cached},
          {"params", native_settings_json(settings)},
          {"prompt", ""},
          {"next_token", next_token(s)}};
}

json props(ServerContext& ctx) {
  const auto& tok = ctx.engine->tokenizer();
  engine::SlotState defaults;
  defaults.options.sampling = ctx.request_context.sampling_defaults;
  // llama-server's spelling of "a random seed per request".
  if (ctx.request_context.random_seed) defaults.options.sampling.seed = 0xFFFFFFFFull;
  json settings = slot_json(ctx, defaults);
  auto token_text = [&](int32_t id) {
    return id >= 0 && size_t(id) < tok.vocab_size() ? tok.token_bytes(id) : std::string();
  };
  return {{"default_generation_settings", settings},
          {"total_slots", ctx.scheduler->options().slots},
          {"model_alias", ctx.options.model_id},
          {"model_path", ctx.options.model_path},
          {"chat_template", ctx.request_context.chat_format.source()},
          {"bos_token", token_text(tok.bos_id())},
          {"eos_token", token_text(tok.eos_id())},
          {"modalities", {{"vision", false}, {"audio", false}}},
          {"build_info", "trit 0.1.0"},  // as `trit --version` says
          {"is_sleeping", false}};
}

std::string apply_template(ServerContext& ctx, const json& body) {
  auto messages = body.find("messages");
  if (messages == body.end()) throw ApiError(400, "'messages' is required", "messages");
  const std::vector<tokenizer::ChatMessage> parsed = parse_messages(*messages);
  tokenizer::ChatOptions options;
  if (const json* kwargs = get_object(body, "chat_template_kwargs")) {
    if (auto v = get_bool(*kwargs, "enable_thinking")) options.enable_thinking = *v;
    options.template_kwargs = tokenizer::ordered_json::parse(kwargs->dump());
  }
  if (const json* tools = get_array(body, "tools")) {
    for (const json& t : *tools) {
      const json* fn = t.is_object() ? get_object(t, "function") : nullptr;
      if (!fn || !fn->contains("name") || !(*fn)["name"].is_string())
        throw ApiError(400, "each of 'tools' must be {\"type\": \"function\", \"function\": {\"name\": ...}}", "tools");
    }
    options.tools = tokenizer::ordered_json::parse(tools->dump());
  }
  if (auto v = get_bool(body, "add_generation_prompt")) options.add_generation_prompt = *v;
  return tokenizer::render_chat(ctx.request_context.chat_format, parsed, options);
}

}  // namespace

void add_native_routes(ServerContext& ctx) {
  ServerContext* c = &ctx;
  // /completions (with an s) is OpenAI's text completions (routes_generate.cpp).
  post_with_body(ctx, "/completion", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_native(*c, body, res, false);
  });
  post_with_body(ctx, "/infill", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_native(*c, body, res, true);
  });

  ctx.http.Get("/props", [c](const httplib::Request&, httplib::Response& res) {
    if (!require_ready(*c, res)) return;
    send_json(res, props(*c));
  });
  post_with_body(ctx, "/props", [](const httplib::Request&, httplib::Response& res, const std::string&) {
    send_error(res, 403, "changing server properties is not allowed: they are fixed when the server starts");
  });

  // ?fail_on_no_slot=1: 503 when every slot is busy (llama-server's probe for load balancers).
  ctx.http.Get("/slots", [c](const httplib::Request& req, httplib::Response& res) {
    if (!require_ready(*c, res)) return;
    const std::vector<engine::SlotState> states = c->scheduler->slot_states();
    if (req.get_param_value("fail_on_no_slot") == "1" &&
        std::none_of(states.begin(), states.end(), [](const engine::SlotState& s) { return !s.busy; })) {
      send_error(res, 503, "no slot is available");
      return;
    }
    json out = json::array();
    for (const engine::SlotState& s : states) out.push_back(slot_json(*c, s));
    send_json(res, out);
  });

  // llama-server's slot cache files (save, restore, erase): trit keeps no such files, and a slot's
  // cache is replaced by whichever request reuses it.
  post_with_body(ctx, R"(/slots/(\d+))", [](const httplib::Request& req, httplib::Response& res, const std::string&) {
    const std::string action = req.get_param_value("action");
    send_error(res, 400, "slot action '" + action + "' is not supported: slots are not saved, restored or erased",
               "action");
  });

  post_with_body(ctx, "/apply-template", [c](const httplib::Request&, httplib::Response& res, const std::string& text) {
    if (!require_ready(*c, res)) return;
    send_json(res, {{"prompt", apply_template(*c, parse_json_object(text))}});
  });
}

}  // namespace trit::server
