// render_chat: Qwen3's chat template, statement by statement (the Jinja source is in
// qwen3_template.cpp), and the plain ChatML fallback. Python string methods used by the template
// (strip/lstrip/rstrip with '\n', split) are spelled out as helpers.
#include "tokenizer/chat.h"

#include "tokenizer/utf8.h"

namespace trit::tokenizer {
namespace {

std::string_view lstrip_newlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}
std::string_view rstrip_newlines(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}
std::string_view strip_newlines(std::string_view s) { return lstrip_newlines(rstrip_newlines(s)); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "s.split(sep)[-1]" and "s.split(sep)[0]".
std::string_view after_last(std::string_view s, std::string_view sep) {
  size_t at = s.rfind(sep);
  return at == std::string_view::npos ? s : s.substr(at + sep.size());
}
std::string_view before_first(std::string_view s, std::string_view sep) {
  size_t at = s.find(sep);
  return at == std::string_view::npos ? s : s.substr(0, at);
}

void render_tools_header(RenderedChat& out, const std::vector<ChatMessage>& messages, const ordered_json& tools) {
  out += "<|im_start|>system\n";
  if (!messages.empty() && messages[0].role == "system") {
    out.add_literal(messages[0].content);
    out += "\n\n";
  }
  out += "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
         "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
  for (const auto& tool : tools) {
    out += "\n";
    out.add_literal(to_json_python(tool));
  }
  out += "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
         "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
         "\"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";
}

void render_tool_calls(RenderedChat& out, const std::vector<ToolCall>& calls, bool content_nonempty) {
  for (size_t i = 0; i < calls.size(); ++i) {
    if ((i == 0 && content_nonempty) || i > 0) out += "\n";
    out += "<tool_call>\n{\"name\": \"";
    out.add_literal(calls[i].name);
    out += "\", \"arguments\": ";
    const auto& args = calls[i].arguments;
    out.add_literal(args.is_string() ? args.get<std::string>() : to_json_python(args));
    out += "}\n</tool_call>";
  }
}

bool has_tools(const ordered_json& tools) { return !tools.is_null() && !tools.empty(); }

// "<|im_start|>" role "\n" content "<|im_end|>\n", the turn every format writes.
void render_turn(RenderedChat& out, std::string_view role, std::string_view content) {
  out += "<|im_start|>";
  out.add_literal(role);
  out += "\n";
  out.add_literal(content);
  out += "<|im_end|>\n";
}

RenderedChat render_qwen3(const std::vector<ChatMessage>& messages, const ChatOptions& options) {
  RenderedChat out;
  const int n = int(messages.size());
  if (has_tools(options.tools)) {
    render_tools_header(out, messages, options.tools);
  } else if (n > 0 && messages[0].role == "system") {
    render_turn(out, "system", messages[0].content);
  }

  // The last user query that is not a wrapped tool response; assistant turns after it keep
  // their reasoning.
  int last_query_index = n - 1;
  for (int i = n - 1; i >= 0; --i) {
    const auto& m = messages[i];
    if (m.role == "user" && !(starts_with(m.content, "<tool_response>") && ends_with(m.content, "</tool_response>"))) {
      last_query_index = i;
      break;
    }
  }

  for (int i = 0; i < n; ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      render_turn(out, m.role, m.content);
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      std::string_view reasoning;
      if (m.reasoning_content) {
        reasoning = *m.reasoning_content;
      } else if (m.content.find("</think>") != std::string::npos) {
        content = lstrip_newlines(after_last(m.content, "</think>"));
        reasoning = lstrip_newlines(after_last(rstrip_newlines(before_first(m.content, "</think>")), "<think>"));
      }
      if (i > last_query_index && (i == n - 1 || !reasoning.empty())) {
        out += "<|im_start|>";
        out.add_literal(m.role);
        out += "\n<think>\n";
        out.add_literal(strip_newlines(reasoning));
        out += "\n</think>\n\n";
        out.add_literal(lstrip_newlines(content));
      } else {
        out += "<|im_start|>";
        out.add_literal(m.role);
        out += "\n";
        out.add_literal(content);
      }
      render_tool_calls(out, m.tool_calls, !content.empty());
      out += "<|im_end|>\n";
    } else if (m.role == "tool") {
      if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n";
      out.add_literal(m.content);
      out += "\n</tool_response>";
      if (i == n - 1 || messages[i + 1].role != "tool") out += "<|im_end|>\n";
    }
    // Other roles render nothing, as in the template.
  }
  if (options.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (!options.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

RenderedChat render_chatml(const std::vector<ChatMessage>& messages, const ChatOptions& options) {
  RenderedChat out;
  size_t first = 0;
  if (has_tools(options.tools)) {
    render_tools_header(out, messages, options.tools);
    if (!messages.empty() && messages[0].role == "system") first = 1;
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    out += "<|im_start|>";
    out.add_literal(m.role);
    out += "\n";
    out.add_literal(m.content);
    if (m.role == "assistant") render_tool_calls(out, m.tool_calls, !m.content.empty());
    out += "<|im_end|>\n";
  }
  if (options.add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace

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
  if (source == kQwen3ChatTemplate) return ChatFormat::qwen3;
  auto has = [&](const char* s) { return source.find(s) != std::string::npos; };
  if (has("<|im_start|>") && has("<think>") && has("</think>") && has("last_query_index")) {
    say("chat template is a variant of Qwen3's; rendering it with trit's Qwen3 format");
    return ChatFormat::qwen3;
  }
  if (source.empty()) {
    say("the model has no chat template; using plain ChatML");
  } else if (has("<|im_start|>")) {
    say("chat template is ChatML but not Qwen3's; using plain ChatML");
  } else {
    say("chat template is neither Qwen3 nor ChatML; using plain ChatML, which this model may not follow");
  }
  return ChatFormat::chatml;
}

RenderedChat render_chat_marked(ChatFormat format, const std::vector<ChatMessage>& messages,
                                const ChatOptions& options) {
  return format == ChatFormat::qwen3 ? render_qwen3(messages, options) : render_chatml(messages, options);
}

std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, const ChatOptions& options) {
  return render_chat_marked(format, messages, options).text;
}

}  // namespace trit::tokenizer
