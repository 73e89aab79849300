#include "server/responses_request.h"

#include <cmath>
#include <utility>

#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/openai_request.h"
#include "server/reasoning_control.h"
#include "server/request_fields.h"
#include "server/responses_items.h"
#include "server/structured_output.h"

namespace trit::server {
namespace {

// Responses' function tools -> the chat shape set_chat_prompt takes; `echo` gets them as the
// response object lists them. Hosted tools (web_search, file_search, ...) run on OpenAI's side:
// a 400, not a silent drop.
json chat_tools(const json& tools, json& echo) {
  json out = json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const json& t = tools[i];
    const std::string at = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) throw ApiError(400, at + " must be an object", "tools");
    const std::string type = t.contains("type") && t["type"].is_string() ? t["type"].get<std::string>() : "";
    if (type != "function")
      throw ApiError(400, at + " has type '" + type + "': only function tools are supported", "tools");
    if (!t.contains("name") || !t["name"].is_string() || t["name"].get<std::string>().empty())
      throw ApiError(400, at + ".name must be a non-empty string", "tools");
    json fn = {{"name", t["name"]}};
    json listed = {{"type", "function"}, {"name", t["name"]}, {"description", nullptr}, {"parameters", nullptr},
                   {"strict", true}};
    if (auto d = t.find("description"); d != t.end() && !d->is_null()) {
      if (!d->is_string()) throw ApiError(400, at + ".description must be a string", "tools");
      fn["description"] = listed["description"] = *d;
    }
    if (auto p = t.find("parameters"); p != t.end() && !p->is_null()) {
      if (!p->is_object()) throw ApiError(400, at + ".parameters must be a JSON Schema object", "tools");
      fn["parameters"] = listed["parameters"] = *p;
    }
    if (auto s = t.find("strict"); s != t.end() && !s->is_null()) {
      if (!s->is_boolean()) throw ApiError(400, at + ".strict must be a boolean", "tools");
      listed["strict"] = *s;
    }
    out.push_back({{"type", "function"}, {"function", fn}});
    echo.push_back(listed);
  }
  return out;
}

// Responses' tool_choice -> the chat shape: {"type": "function", "name"} names the function at
// the top level; the strings are the same.
json chat_tool_choice(const json& choice) {
  if (!choice.is_object()) return choice;  // strings and wrong types: resolve_tool_choice judges
  auto type = choice.find("type");
  if (type == choice.end() || !type->is_string() || *type != "function")
    throw ApiError(400, R"('tool_choice' must be none, auto, required or {"type": "function", "name": ...})",
                   "tool_choice");
  auto name = choice.find("name");
  if (name == choice.end() || !name->is_string())
    throw ApiError(400, R"('tool_choice' must be {"type": "function", "name": ...})", "tool_choice");
  return {{"type", "function"}, {"function", {{"name", *name}}}};
}

// reasoning: {"effort": none|minimal|low|medium|high, "summary": ...}: none and minimal turn
// thinking off, low/medium/high are thinking budgets the engine enforces (reasoning_control.h).
json parse_reasoning(const json& body, tokenizer::ChatOptions& options, engine::GenerateOptions& generate) {
  json echo = {{"effort", nullptr}, {"summary", nullptr}};
  const json* r = get_object(body, "reasoning");
  if (!r) return echo;
  if (auto effort = r->find("effort"); effort != r->end() && !effort->is_null()) {
    const std::string e = effort->is_string() ? effort->get<std::string>() : "";
    if (e != "none" && e != "minimal" && e != "low" && e != "medium" && e != "high")
      throw ApiError(400, "'reasoning.effort' must be none, minimal, low, medium or high", "reasoning.effort");
    const int64_t budget = effort_budget(e).value_or(0);
    options.enable_thinking = budget > 0;
    if (budget > 0) generate.thinking_budget = budget;
    echo["effort"] = e;
  }
  if (auto s = r->find("summary"); s != r->end() && !s->is_null()) {
    if (!s->is_string()) throw ApiError(400, "'reasoning.summary' must be a string", "reasoning.summary");
    echo["summary"] = *s;
  }
  return echo;
}

// text: {"format": {"type": "text" | "json_object" | "json_schema", ...}, "verbosity"}: the echo;
// the format's grammar is set by parse_text_format once the prompt is made.
json parse_text(const json& body) {
  json echo = {{"format", {{"type", "text"}}}};
  const json* text = get_object(body, "text");
  if (!text) return echo;
  if (auto f = text->find("format"); f != text->end() && !f->is_null()) {
    if (!f->is_object()) throw ApiError(400, "'text.format' must be an object", "text.format");
    echo["format"] = *f;
  }
  if (auto v = text->find("verbosity"); v != text->end() && !v->is_null()) {
    if (!v->is_string()) throw ApiError(400, "'text.verbosity' must be a string", "text.verbosity");
    echo["verbosity"] = *v;
  }
  return echo;
}

json parse_metadata(const json& body) {
  const json* m = get_object(body, "metadata");
  if (!m) return json::object();
  if (m->size() > 16) throw ApiError(400, "'metadata' allows at most 16 keys", "metadata");
  for (const auto& [key, value] : m->items())
    if (!value.is_string() || key.size() > 64 || value.get<std::string>().size() > 512)
      throw ApiError(400, "'metadata' values must be strings (keys up to 64, values up to 512 characters)",
                     "metadata");
  return *m;
}

}  // namespace

ResponsesRequest parse_responses_request(const json& body, const RequestContext& ctx, ResponseStore& store) {
  ResponsesRequest r;
  GenerationRequest& g = r.generation;
  auto input = body.find("input");
  if (input == body.end() || input->is_null()) throw ApiError(400, "'input' is required", "input");
  r.input_items = normalize_input(*input);

  json echo = json::object();
  const std::optional<std::string> instructions = get_string(body, "instructions");
  echo["instructions"] = instructions ? json(*instructions) : json(nullptr);

  r.history = json::array();
  echo["previous_response_id"] = nullptr;
  if (auto prev = get_string(body, "previous_response_id")) {
    std::optional<StoredResponse> stored = store.get(*prev);
    if (!stored)
      throw ApiError(404, "Previous response with id '" + *prev + "' not found.", "previous_response_id");
    r.history = std::move(stored->conversation);
    echo["previous_response_id"] = *prev;
  }

  g.scheduled.options.sampling = parse_sampling(body, ctx);
  g.scheduled.options.max_tokens = -1;
  echo["max_output_tokens"] = nullptr;
  if (auto v = get_integer(body, "max_output_tokens", INT64_MIN, int64_t{1} << 30)) {
    if (*v <= 0) throw ApiError(400, "'max_output_tokens' must be at least 1", "max_output_tokens");
    g.scheduled.options.max_tokens = *v;
    echo["max_output_tokens"] = *v;
  }
  // The values sampling uses, as the decimals they were given (floats print as 0.949999988).
  auto decimal = [](float v) { return std::round(static_cast<double>(v) * 1e6) / 1e6; };
  echo["temperature"] = decimal(g.scheduled.options.sampling.temperature);
  echo["top_p"] = decimal(g.scheduled.options.sampling.top_p);
  g.stream = get_bool(body, "stream").value_or(false);
  r.store = get_bool(body, "store").value_or(true);
  echo["store"] = r.store;
  if (get_bool(body, "background").value_or(false))
    throw ApiError(400, "'background' responses are not supported", "background");
  // Stored prompt templates and conversation objects live on OpenAI's side: refused, not ignored.
  for (const char* field : {"prompt", "conversation"})
    if (auto it = body.find(field); it != body.end() && !it->is_null())
      throw ApiError(400, std::string("'") + field + "' is not supported: send the conversation as 'input' (or use "
                              "previous_response_id)", field);
  if (auto t = get_string(body, "truncation")) {
    if (*t != "auto" && *t != "disabled") throw ApiError(400, "'truncation' must be auto or disabled", "truncation");
    echo["truncation"] = *t;
  }
  echo["parallel_tool_calls"] = get_bool(body, "parallel_tool_calls").value_or(true);
  echo["metadata"] = parse_metadata(body);
  if (auto user = get_string(body, "user")) echo["user"] = *user;
  get_string(body, "model");  // checked for type; the response names the served model

  tokenizer::ChatOptions options;
  echo["reasoning"] = parse_reasoning(body, options, g.scheduled.options);
  echo["text"] = parse_text(body);
  const json format = echo["text"]["format"];
  const bool thinking = options.enable_thinking;

  echo["tools"] = json::array();
  json tools;
  if (const json* given = get_array(body, "tools")) tools = chat_tools(*given, echo["tools"]);
  json choice;
  echo["tool_choice"] = "auto";
  if (auto c = body.find("tool_choice"); c != body.end() && !c->is_null()) {
    choice = chat_tool_choice(*c);
    echo["tool_choice"] = *c;
  }
  r.echo = std::move(echo);

  json conversation = r.history;
  conversation.insert(conversation.end(), r.input_items.begin(), r.input_items.end());
  std::vector<tokenizer::ChatMessage> messages;
  if (instructions) messages.push_back({"system", *instructions, std::nullopt, {}});
  for (auto& m : items_to_messages(conversation)) messages.push_back(std::move(m));
  try {
    set_chat_prompt(g, messages, tools.is_null() ? nullptr : &tools, choice.is_null() ? nullptr : &choice,
                    std::move(options), ctx);
  } catch (const ApiError& e) {
    if (e.param() != "messages") throw;
    throw ApiError(e.status(), e.what(), "input");  // the prompt-length check names chat's field
  }
  // A forced tool call's grammar comes first: the answer is then the call, not JSON text.
  if (!g.scheduled.options.grammar) parse_text_format(format, thinking, g.scheduled.options);
  warm_token_trie(g.scheduled.options, *ctx.tokenizer);
  return r;
}

}  // namespace trit::server
