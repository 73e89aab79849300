// messages_from_json: OpenAI-style chat messages -> ChatMessage.
#include "tokenizer/chat.h"
#include "util/error.h"

namespace trit::tokenizer {
namespace {

std::string content_text(const ordered_json& content, size_t index) {
  if (content.is_null()) return "";
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {  // content parts: only text parts carry text for this model
    std::string text;
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
        text += part["text"].get<std::string>();
      else
        fail("message ", index, ": only text content parts are supported");
    }
    return text;
  }
  fail("message ", index, ": content must be a string, null or a list of text parts");
}

}  // namespace

std::vector<ChatMessage> messages_from_json(const ordered_json& messages) {
  if (!messages.is_array()) fail("messages must be a list");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ordered_json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      fail("message ", i, " has no role");
    ChatMessage message;
    message.role = m["role"].get<std::string>();
    message.content = content_text(m.contains("content") ? m["content"] : ordered_json(), i);
    if (m.contains("reasoning_content") && m["reasoning_content"].is_string())
      message.reasoning_content = m["reasoning_content"].get<std::string>();
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& call : m["tool_calls"]) {
        const ordered_json& f = call.contains("function") ? call["function"] : call;
        if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
          fail("message ", i, ": a tool call has no function name");
        ToolCall tc;
        tc.name = f["name"].get<std::string>();
        if (f.contains("arguments")) tc.arguments = f["arguments"];
        message.tool_calls.push_back(std::move(tc));
      }
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace trit::tokenizer
