#include "server/openai_request.h"

#include <utility>

#include "engine/prompt.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/reasoning_control.h"
#include "server/request_fields.h"
#include "server/structured_output.h"
#include "server/tool_choice.h"
#include "util/json_depth.h"

namespace trit::server {
namespace {

// What a non-text content part carries, by the type names OpenAI's Chat Completions and
// Responses APIs (and clients imitating them) use; null for a type that is not media.
const char* media_kind(const std::string& type) {
  static const std::pair<const char*, const char*> kinds[] = {
      {"image_url", "an image"}, {"input_image", "an image"}, {"image", "an image"},
      {"input_audio", "audio"},  {"audio", "audio"},          {"file", "a file"},
      {"input_file", "a file"},  {"video_url", "a video"},    {"video", "a video"},
  };
  for (const auto& [name, kind] : kinds)
    if (type == name) return kind;
  return nullptr;
}

// Message content: a string, null, or an array of {"type": "text", "text": ...} parts. The
// models trit runs read text only, so a media part is refused (400) rather than dropped: a
// reply that silently ignored the picture would look like an answer about it.
std::string content_text(const json& content, const std::string& where) {
  if (content.is_null()) return "";
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw ApiError(400, where + ".content must be a string or an array of parts", "messages");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw ApiError(400, where + ".content parts must be objects with a 'type'", "messages");
    const std::string type = part["type"].get<std::string>();
    const std::string at = where + ".content[" + std::to_string(i) + "]";
    if (const char* kind = media_kind(type))
      throw ApiError(400, at + " is " + kind + " ('" + type + "' part): this model takes text only", "messages");
    if (type != "text")
      throw ApiError(400, at + " has part type '" + type + "', which is not supported: this model takes text only",
                     "messages");
    if (!part.contains("text") || !part["text"].is_string())
      throw ApiError(400, where + ".content text parts need a string 'text'", "messages");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<tokenizer::ToolCall> message_tool_calls(const json& calls, const std::string& where) {
  if (!calls.is_array()) throw ApiError(400, where + ".tool_calls must be an array", "messages");
  std::vector<tokenizer::ToolCall> out;
  for (const json& call : calls) {
    const json* fn = call.is_object() ? get_object(call, "function") : nullptr;
    if (!fn || !fn->contains("name") || !(*fn)["name"].is_string())
      throw ApiError(400, where + ".tool_calls entries need function.name", "messages");
    tokenizer::ToolCall tc;
    tc.name = (*fn)["name"].get<std::string>();
    if (fn->contains("arguments")) {
      const json& args = (*fn)["arguments"];
      // The API sends arguments as a JSON string; the template writes them as an object.
      if (args.is_string()) {
        if (json_nesting_depth(args.get<std::string>()) > kMaxJsonDepth)
          throw ApiError(400, where + ".tool_calls arguments are JSON nested deeper than " +
                                  std::to_string(kMaxJsonDepth) + " levels", "messages");
        try {
          tc.arguments = tokenizer::ordered_json::parse(args.get<std::string>());
        } catch (const json::exception&) {
          tc.arguments = args.get<std::string>();
        }
      } else {
        tc.arguments = tokenizer::ordered_json::parse(args.dump());
      }
    }
    out.push_back(std::move(tc));
  }
  return out;
}

// One completion prompt: a string (raw text: control tokens in it only with parse_special) or an
// array of token ids.
std::vector<int32_t> completion_prompt(const json& prompt, bool parse_special, const RequestContext& ctx) {
  if (prompt.is_string()) return engine::encode_prompt(*ctx.tokenizer, prompt.get<std::string>(), parse_special);
  if (!prompt.is_array()) throw ApiError(400, "'prompt' must be a string or an array of token ids", "prompt");
  std::vector<int32_t> ids;
  const auto vocab = static_cast<int64_t>(ctx.tokenizer->vocab_size());
  for (const json& t : prompt) {
    if (!t.is_number_integer()) throw ApiError(400, "'prompt' must be a string or an array of token ids", "prompt");
    const int64_t id = t.get<int64_t>();
    if (id < 0 || id >= vocab)
      throw ApiError(400, "token id " + std::to_string(id) + " in 'prompt' is outside the vocabulary", "prompt");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

}  // namespace

std::vector<tokenizer::ChatMessage> parse_messages(const json& messages) {
  if (!messages.is_array() || messages.empty())
    throw ApiError(400, "'messages' must be a non-empty array", "messages");
  std::vector<tokenizer::ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw ApiError(400, where + " must be an object", "messages");
    auto role_it = m.find("role");
    if (role_it == m.end() || !role_it->is_string()) throw ApiError(400, where + ".role must be a string", "messages");
    std::string role = role_it->get<std::string>();
    if (role == "developer") role = "system";  // OpenAI's newer name for system instructions
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      throw ApiError(400, where + ".role '" + role + "' is unknown (system, developer, user, assistant or tool)",
                     "messages");
    tokenizer::ChatMessage msg;
    msg.role = role;
    auto content = m.find("content");
    if (content == m.end()) {
      if (role != "assistant") throw ApiError(400, where + ".content is missing", "messages");
    } else {
      msg.content = content_text(*content, where);
    }
    if (role == "assistant") {
      if (auto tc = m.find("tool_calls"); tc != m.end() && !tc->is_null()) msg.tool_calls = message_tool_calls(*tc, where);
      if (auto rc = m.find("reasoning_content"); rc != m.end() && rc->is_string())
        msg.reasoning_content = rc->get<std::string>();
    }
    out.push_back(std::move(msg));
  }
  return out;
}

GenerationRequest parse_chat_request(const json& body, const RequestContext& ctx) {
  GenerationRequest g;
  auto messages_it = body.find("messages");
  if (messages_it == body.end()) throw ApiError(400, "'messages' is required", "messages");
  std::vector<tokenizer::ChatMessage> messages = parse_messages(*messages_it);
  parse_common(body, ctx, g);

  tokenizer::ChatOptions options;
  if (const json* kwargs = get_object(body, "chat_template_kwargs")) {
    if (auto v = get_bool(*kwargs, "enable_thinking")) options.enable_thinking = *v;
    options.template_kwargs = tokenizer::ordered_json::parse(kwargs->dump());  // the rest reach the template
  }
  parse_reasoning_control(body, options, g.scheduled.options);

  if (auto lp = get_bool(body, "logprobs")) g.logprobs = *lp;
  if (auto top = get_integer(body, "top_logprobs", 0, 20)) {
    if (!g.logprobs) throw ApiError(400, "'top_logprobs' needs 'logprobs': true", "top_logprobs");
    g.top_logprobs = static_cast<int>(*top);
  }
  g.scheduled.logprobs = g.logprobs ? g.top_logprobs : -1;

  const json* tools = get_array(body, "tools");
  auto choice_it = body.find("tool_choice");
  const bool thinking = options.enable_thinking;
  set_chat_prompt(g, messages, tools, choice_it == body.end() ? nullptr : &*choice_it, std::move(options), ctx);
  // A forced tool call's grammar comes first: the answer is then the call, not JSON content.
  if (!g.scheduled.options.grammar) parse_structured_output(body, thinking, g.scheduled.options);
  warm_token_trie(g.scheduled.options, *ctx.tokenizer);
  return g;
}

void set_chat_prompt(GenerationRequest& g, const std::vector<tokenizer::ChatMessage>& messages, const json* tools,
                     const json* tool_choice, tokenizer::ChatOptions options, const RequestContext& ctx) {
  if (tools) {
    for (const json& t : *tools) {
      const json* fn = t.is_object() ? get_object(t, "function") : nullptr;
      if (!fn || !fn->contains("name") || !(*fn)["name"].is_string())
        throw ApiError(400, "each of 'tools' must be {\"type\": \"function\", \"function\": {\"name\": ...}}", "tools");
    }
    options.tools = tokenizer::ordered_json::parse(tools->dump());
  }
  const ToolChoice choice = resolve_tool_choice(tool_choice, tools);
  if (!choice.tools_in_prompt) options.tools = tokenizer::ordered_json::array();
  g.tools_given = !options.tools.empty();
  g.scheduled.prompt = engine::chat_prompt(*ctx.tokenizer, ctx.chat_format, messages, options);
  check_prompt_length(g, ctx);
  // After the generation prompt (and the empty <think> block when thinking is off) the model may
  // write only the call; with thinking on, only once it has closed its think block.
  if (choice.forced) force_tool_call(*tools, choice.function, options.enable_thinking, g.scheduled.options);
  warm_token_trie(g.scheduled.options, *ctx.tokenizer);
}

GenerationRequest parse_completion_request(const json& body, const RequestContext& ctx) {
  GenerationRequest g;
  auto prompt_it = body.find("prompt");
  if (prompt_it == body.end() || prompt_it->is_null()) throw ApiError(400, "'prompt' is required", "prompt");
  parse_common(body, ctx, g);
  // A string or an array of token ids is one prompt; an array of those is a batch.
  const json& prompt = *prompt_it;
  const bool parse_special = get_bool(body, "parse_special").value_or(false);
  const bool batch = prompt.is_array() && !prompt.empty() && !prompt[0].is_number();
  if (!batch) {
    g.scheduled.prompt = completion_prompt(prompt, parse_special, ctx);
  } else {
    if (prompt.size() > kMaxPrompts)
      throw ApiError(400, "'prompt' holds " + std::to_string(prompt.size()) + " prompts; at most " +
                              std::to_string(kMaxPrompts) + " are allowed",
                     "prompt");
    for (const json& p : prompt) {
      if (p.is_array() && (p.empty() || !p[0].is_number()))
        throw ApiError(400, "'prompt' must be a string, an array of token ids, or an array of those", "prompt");
      g.batch_prompts.push_back(completion_prompt(p, parse_special, ctx));
      check_prompt_length(g.batch_prompts.back(), ctx, "prompt");
    }
    g.scheduled.prompt = g.batch_prompts.front();
    if (g.batch_prompts.size() == 1) g.batch_prompts.clear();
  }
  if (auto n = get_integer(body, "logprobs", 0, 20)) {
    g.logprobs = true;
    g.top_logprobs = static_cast<int>(*n);
  }
  g.scheduled.logprobs = g.logprobs ? g.top_logprobs : -1;
  // Completions see raw text: control tokens the model writes are kept out, as in chat.
  check_prompt_length(g.scheduled.prompt, ctx, "prompt");
  parse_structured_output(body, false, g.scheduled.options);
  warm_token_trie(g.scheduled.options, *ctx.tokenizer);
  return g;
}

}  // namespace trit::server
