#include "server/anthropic_request.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "engine/prompt.h"
#include "server/anthropic_messages.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/openai_request.h"
#include "server/request_fields.h"

namespace trit::server {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& message, const char* param) { throw ApiError(400, message, param); }

// Anthropic's tool definitions in OpenAI's shape, for set_chat_prompt.
json openai_tools(const json& tools) {
  json out = json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const json& t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) bad("'" + where + "' must be an object {name, description, input_schema}", "tools");
    if (auto type = t.find("type"); type != t.end() && !type->is_null()) {
      if (!type->is_string()) bad("'" + where + ".type' must be a string", "tools");
      if (*type != "custom")
        bad("'" + where + ".type' is '" + type->get<std::string>() +
                "': server tools are not run by this server; define the tool with name, description and "
                "input_schema",
            "tools");
    }
    auto name = t.find("name");
    if (name == t.end() || !name->is_string() || name->get<std::string>().empty())
      bad("'" + where + ".name' must be a non-empty string", "tools");
    json fn = {{"name", *name}};
    if (auto d = t.find("description"); d != t.end() && !d->is_null()) {
      if (!d->is_string()) bad("'" + where + ".description' must be a string", "tools");
      fn["description"] = *d;
    }
    auto schema = t.find("input_schema");
    if (schema == t.end() || !schema->is_object()) bad("'" + where + ".input_schema' must be an object", "tools");
    fn["parameters"] = *schema;
    out.push_back({{"type", "function"}, {"function", fn}});
  }
  return out;
}

// Anthropic's tool_choice in OpenAI's shape (resolve_tool_choice, tool_choice.h), checked here
// so that the errors use Anthropic's words.
json openai_tool_choice(const json& choice, const json* tools) {
  if (!choice.is_object()) bad("'tool_choice' must be an object {\"type\": auto, any, tool or none}", "tool_choice");
  if (auto p = choice.find("disable_parallel_tool_use"); p != choice.end() && !p->is_null() && !p->is_boolean())
    bad("'tool_choice.disable_parallel_tool_use' must be a boolean", "tool_choice");
  auto type_it = choice.find("type");
  if (type_it == choice.end() || !type_it->is_string())
    bad("'tool_choice.type' must be a string (auto, any, tool or none)", "tool_choice");
  const std::string type = type_it->get<std::string>();
  if (type == "auto") return "auto";
  if (type == "none") return "none";
  if (type != "any" && type != "tool")
    bad("'tool_choice.type' is '" + type + "': it must be auto, any, tool or none", "tool_choice");
  if (!tools || tools->empty()) bad("'tool_choice.type' is '" + type + "' but no 'tools' were given", "tool_choice");
  if (type == "any") return "required";
  auto name = choice.find("name");
  if (name == choice.end() || !name->is_string() || name->get<std::string>().empty())
    bad("'tool_choice.name' must name one of 'tools' when 'tool_choice.type' is 'tool'", "tool_choice");
  const bool known = std::any_of(tools->begin(), tools->end(), [&](const json& t) { return t["name"] == *name; });
  if (!known) bad("'tool_choice.name' is '" + name->get<std::string>() + "', which is not one of 'tools'", "tool_choice");
  return {{"type", "function"}, {"function", {{"name", *name}}}};
}

// thinking -> enable_thinking. budget_tokens is checked as Anthropic checks it (at least 1024,
// below max_tokens) and becomes the engine's thinking budget (`budget`, left alone otherwise):
// after that many thinking tokens the think block is closed and the answer follows.
bool thinking_enabled(const json& body, int64_t max_tokens, int64_t& budget_out) {
  const json* thinking = get_object(body, "thinking");
  if (!thinking) return false;
  auto type_it = thinking->find("type");
  if (type_it == thinking->end() || !type_it->is_string())
    bad("'thinking.type' must be a string (enabled, adaptive or disabled)", "thinking");
  const std::string type = type_it->get<std::string>();
  if (type == "disabled") return false;
  if (type == "adaptive") return true;
  if (type != "enabled") bad("'thinking.type' is '" + type + "': it must be enabled, adaptive or disabled", "thinking");
  auto budget = thinking->find("budget_tokens");
  if (budget == thinking->end() || !budget->is_number_integer())
    bad("'thinking.budget_tokens' must be an integer when thinking is enabled", "thinking");
  const int64_t b = budget->get<int64_t>();
  if (b < 1024) bad("'thinking.budget_tokens' must be at least 1024", "thinking");
  if (max_tokens > 0 && b >= max_tokens) bad("'thinking.budget_tokens' must be less than 'max_tokens'", "thinking");
  budget_out = b;
  return true;
}

// Anthropic's prefill: a last assistant message without tool_use is the start of the answer,
// which the model continues (the response holds only the continuation). Taken out of `messages`;
// "" when there is none. `last` is its index in the request, for errors.
std::string take_prefill(std::vector<tokenizer::ChatMessage>& messages, size_t last) {
  const tokenizer::ChatMessage& m = messages.back();
  if (m.role != "assistant" || !m.tool_calls.empty() || m.content.empty()) return "";
  const char tail = m.content.back();
  if (tail == ' ' || tail == '\n' || tail == '\t' || tail == '\r')
    bad("'messages[" + std::to_string(last) + "].content': a final assistant message must not end with whitespace",
        "messages");
  std::string prefill = m.content;
  messages.pop_back();
  if (messages.empty() || messages.back().role == "system")
    bad("'messages[0].role' is assistant: a prefilled answer needs a user message before it", "messages");
  return prefill;
}

// Everything but the sampling and limits: conversation, tools, tool_choice, thinking -> prompt.
void set_prompt(GenerationRequest& g, const json& body, int64_t max_tokens, const RequestContext& ctx) {
  if (auto model = get_string(body, "model")) g.model = *model;
  else bad("'model' is required", "model");
  if (get_object(body, "metadata")) {
    const json& m = body["metadata"];
    if (auto u = m.find("user_id"); u != m.end() && !u->is_null() && !u->is_string())
      bad("'metadata.user_id' must be a string", "metadata");
  }
  // Anthropic's MCP connector has its servers called by the API itself; this server calls none,
  // and a request that counts on them must not get an answer made without them.
  if (const json* mcp = get_array(body, "mcp_servers"); mcp && !mcp->empty())
    bad("'mcp_servers' is not supported: this server connects to no MCP server (give their tools in 'tools' "
        "and run them in the client)",
        "mcp_servers");
  std::vector<tokenizer::ChatMessage> messages = anthropic_conversation(body);
  const std::string prefill = take_prefill(messages, body["messages"].size() - 1);
  const json* tools_in = get_array(body, "tools");
  json tools = tools_in ? openai_tools(*tools_in) : json(nullptr);
  json choice = nullptr;
  if (auto c = body.find("tool_choice"); c != body.end() && !c->is_null()) choice = openai_tool_choice(*c, tools_in);
  tokenizer::ChatOptions options;
  options.enable_thinking = thinking_enabled(body, max_tokens, g.scheduled.options.thinking_budget);
  set_chat_prompt(g, messages, tools_in ? &tools : nullptr, choice.is_null() ? nullptr : &choice, options, ctx);
  if (prefill.empty()) return;
  if (g.scheduled.options.grammar)  // a forced call (set_chat_prompt)
    bad("a last assistant message (a prefilled answer) cannot be combined with a 'tool_choice' that forces a call",
        "tool_choice");
  // set_chat_prompt checked the tools and tool_choice; the prompt is rendered again to continue
  // the prefilled text as the model's own.
  if (g.tools_given) options.tools = tokenizer::ordered_json::parse(tools.dump());
  g.scheduled.prompt = engine::chat_prompt(*ctx.tokenizer, ctx.chat_format, messages, options, prefill);
  check_prompt_length(g, ctx);
}

}  // namespace

GenerationRequest parse_anthropic_request(const json& body, const RequestContext& ctx) {
  GenerationRequest g;
  auto max_tokens = get_integer(body, "max_tokens", INT64_MIN, 1 << 30);
  if (!max_tokens) bad("'max_tokens' is required", "max_tokens");
  if (*max_tokens < 1) bad("'max_tokens' must be at least 1", "max_tokens");
  g.scheduled.options.max_tokens = *max_tokens;
  g.scheduled.options.sampling = parse_sampling(body, ctx);
  if (const json* stops = get_array(body, "stop_sequences")) {
    for (const json& s : *stops) {
      if (!s.is_string() || s.get<std::string>().empty())
        bad("'stop_sequences' must be an array of non-empty strings", "stop_sequences");
      g.scheduled.options.stop.push_back(s.get<std::string>());
    }
    if (stops->size() > 16) bad("'stop_sequences' allows at most 16 strings", "stop_sequences");
  }
  g.stream = get_bool(body, "stream").value_or(false);
  set_prompt(g, body, *max_tokens, ctx);
  return g;
}

int64_t count_anthropic_tokens(const json& body, const RequestContext& ctx) {
  GenerationRequest g;
  RequestContext counting = ctx;
  counting.context = std::numeric_limits<int64_t>::max();  // count a prompt of any length
  set_prompt(g, body, -1, counting);
  return static_cast<int64_t>(g.scheduled.prompt.size());
}

}  // namespace trit::server
