// render_chat: the conversation as the Jinja context transformers builds, rendered by the
// template; bytes that came from the conversation become RenderedChat's literal spans.
#include "tokenizer/chat.h"
#include "tokenizer/jinja/template.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::tokenizer {
namespace {

ordered_json message_json(const ChatMessage& m) {
  ordered_json j = {{"role", m.role}, {"content", m.content}};
  if (m.reasoning_content) j["reasoning_content"] = *m.reasoning_content;
  if (!m.tool_calls.empty()) {
    ordered_json calls = ordered_json::array();
    for (const ToolCall& c : m.tool_calls)
      calls.push_back({{"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    j["tool_calls"] = std::move(calls);
  }
  return j;
}

}  // namespace

ChatFormat::ChatFormat(const std::string& jinja_source)
    : source_(jinja_source), template_(std::make_shared<jinja::Template>(jinja_source)) {}

ChatFormat ChatFormat::qwen3() { return ChatFormat(kQwen3ChatTemplate); }

RenderedChat& RenderedChat::operator+=(std::string_view markup) {
  text += markup;
  return *this;
}

void RenderedChat::add_literal(std::string_view piece) {
  const size_t begin = text.size();
  if (is_valid_utf8(piece)) text += piece;
  else text += repair_utf8(piece);
  if (text.size() == begin) return;
  if (!literal.empty() && literal.back().end == begin) literal.back().end = text.size();
  else literal.push_back({begin, text.size()});
}

ChatFormat detect_chat_format(const std::string& source, std::string* notice) {
  auto say = [&](std::string text) {
    if (notice) *notice = std::move(text);
  };
  say("");
  if (source.empty()) {
    say("the model has no chat template; using the built-in Qwen3 template");
    return ChatFormat::qwen3();
  }
  try {
    return ChatFormat(source);
  } catch (const Error& e) {
    say(std::string("the model's chat template cannot be used (") + e.what() + "); using the built-in Qwen3 template");
    return ChatFormat::qwen3();
  }
}

RenderedChat render_chat_marked(const ChatFormat& format, const std::vector<ChatMessage>& messages,
                                const ChatOptions& options) {
  ordered_json list = ordered_json::array();
  for (const ChatMessage& m : messages) list.push_back(message_json(m));
  jinja::Dict context;
  context.set(jinja::Text("messages"), jinja::from_json(list));
  const bool tools = !options.tools.is_null() && !options.tools.empty();
  context.set(jinja::Text("tools"), tools ? jinja::from_json(options.tools) : jinja::Value::none());
  context.set(jinja::Text("add_generation_prompt"), jinja::Value::from(options.add_generation_prompt));
  context.set(jinja::Text("enable_thinking"), jinja::Value::from(options.enable_thinking));
  if (options.template_kwargs.is_object())
    for (auto it = options.template_kwargs.begin(); it != options.template_kwargs.end(); ++it)
      if (it.key() != "messages" && it.key() != "tools" && it.key() != "add_generation_prompt" &&
          it.key() != "enable_thinking")
        context.set(jinja::Text(it.key()), jinja::from_json(it.value()));
  context.set(jinja::Text("bos_token"), jinja::Value::str(format.bos_token));
  context.set(jinja::Text("eos_token"), jinja::Value::str(format.eos_token));
  const jinja::Text out = format.jinja().render(context);

  RenderedChat chat;
  for (size_t i = 0; i < out.size();) {
    size_t j = i;
    const bool data = out.is_data(i);
    while (j < out.size() && out.is_data(j) == data) ++j;
    const std::string_view piece = std::string_view(out.bytes).substr(i, j - i);
    if (data) chat.add_literal(piece);
    else chat += piece;
    i = j;
  }
  return chat;
}

std::string render_chat(const ChatFormat& format, const std::vector<ChatMessage>& messages, const ChatOptions& options) {
  return render_chat_marked(format, messages, options).text;
}

}  // namespace trit::tokenizer
