#include "server/anthropic_messages.h"

#include <string>
#include <utility>

#include "server/api_error.h"

namespace trit::server {
namespace {

using json = nlohmann::json;

constexpr const char* kParam = "messages";
constexpr const char* kJoin = "\n\n";  // between the text blocks of one turn

[[noreturn]] void bad(const std::string& message, const char* param = kParam) { throw ApiError(400, message, param); }

// Block types Anthropic's API takes that carry something other than text.
bool is_media(const std::string& type) {
  return type == "image" || type == "document" || type == "search_result" || type == "container_upload";
}

// The block's "type", checked; `where` names the block ("messages[0].content[1]").
std::string block_type(const json& block, const std::string& where, const char* param) {
  if (!block.is_object()) bad("'" + where + "' must be an object with a 'type'", param);
  auto type = block.find("type");
  if (type == block.end() || !type->is_string()) bad("'" + where + ".type' must be a string", param);
  return type->get<std::string>();
}

[[noreturn]] void unsupported(const std::string& type, const std::string& where, const char* param,
                              const char* allowed) {
  if (is_media(type))
    bad("'" + where + ".type' is '" + type + "': this model takes text only", param);
  bad("'" + where + ".type' is '" + type + "', which is not supported here (" + allowed + ")", param);
}

std::string text_of(const json& block, const std::string& where, const char* param) {
  auto text = block.find("text");
  if (text == block.end() || !text->is_string()) bad("'" + where + ".text' must be a string", param);
  return text->get<std::string>();
}

void append(std::string& to, const std::string& text) {
  if (!to.empty() && !text.empty()) to += kJoin;
  to += text;
}

// A string, or an array of text blocks (system, tool_result content).
std::string text_or_text_blocks(const json& value, const std::string& where, const char* param) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) bad("'" + where + "' must be a string or an array of text blocks", param);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const std::string type = block_type(value[i], at, param);
    if (type != "text") unsupported(type, at, param, "text");
    append(out, text_of(value[i], at, param));
  }
  return out;
}

// A document block whose source is text: {"type": "text", "media_type": "text/plain", "data"} or
// {"type": "content", "content": a string or text blocks}; its title, when given, goes first.
// PDFs, images and file references are a 400 (text only).
std::string document_text(const json& block, const std::string& where) {
  auto source = block.find("source");
  if (source == block.end() || !source->is_object()) bad("'" + where + ".source' must be an object");
  auto kind = source->find("type");
  if (kind == source->end() || !kind->is_string()) bad("'" + where + ".source.type' must be a string");
  std::string text;
  if (*kind == "text") {
    auto data = source->find("data");
    if (data == source->end() || !data->is_string()) bad("'" + where + ".source.data' must be a string");
    text = data->get<std::string>();
  } else if (*kind == "content") {
    auto content = source->find("content");
    if (content == source->end()) bad("'" + where + ".source.content' is required");
    text = text_or_text_blocks(*content, where + ".source.content", kParam);
  } else {
    bad("'" + where + ".source.type' is '" + kind->get<std::string>() +
        "': this model takes text only (a document's source must be text or content)");
  }
  if (auto title = block.find("title"); title != block.end() && !title->is_null()) {
    if (!title->is_string()) bad("'" + where + ".title' must be a string");
    text = title->get<std::string>() + "\n\n" + text;
  }
  return text;
}

tokenizer::ChatMessage tool_result(const json& block, const std::string& where) {
  auto id = block.find("tool_use_id");
  if (id == block.end() || !id->is_string()) bad("'" + where + ".tool_use_id' must be a string");
  tokenizer::ChatMessage msg;
  msg.role = "tool";
  if (auto c = block.find("content"); c != block.end() && !c->is_null())
    msg.content = text_or_text_blocks(*c, where + ".content", kParam);
  if (auto e = block.find("is_error"); e != block.end() && !e->is_null()) {
    if (!e->is_boolean()) bad("'" + where + ".is_error' must be a boolean");
    // The template has no field for it: the model reads it in the text.
    if (e->get<bool>()) msg.content = "Error: " + msg.content;
  }
  return msg;
}

tokenizer::ToolCall tool_use(const json& block, const std::string& where) {
  auto id = block.find("id");
  if (id == block.end() || !id->is_string()) bad("'" + where + ".id' must be a string");
  auto name = block.find("name");
  if (name == block.end() || !name->is_string() || name->get<std::string>().empty())
    bad("'" + where + ".name' must be a non-empty string");
  auto input = block.find("input");
  if (input == block.end() || !input->is_object()) bad("'" + where + ".input' must be an object");
  tokenizer::ToolCall call;
  call.name = name->get<std::string>();
  call.arguments = tokenizer::ordered_json::parse(input->dump());
  return call;
}

// One user turn: its text blocks become user messages, its tool_result blocks tool messages,
// in the order they come (Anthropic puts the results first; the Qwen3 template groups
// consecutive tool messages into one user turn of <tool_response> blocks).
void user_turn(const json& content, const std::string& where, std::vector<tokenizer::ChatMessage>& out) {
  tokenizer::ChatMessage text{"user", "", std::nullopt, {}};
  bool has_text = false;
  auto flush = [&] {
    if (has_text) out.push_back(std::move(text));
    text = {"user", "", std::nullopt, {}};
    has_text = false;
  };
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = where + ".content[" + std::to_string(i) + "]";
    const std::string type = block_type(content[i], at, kParam);
    if (type == "text") {
      append(text.content, text_of(content[i], at, kParam));
      has_text = true;
    } else if (type == "document") {
      append(text.content, document_text(content[i], at));
      has_text = true;
    } else if (type == "tool_result") {
      flush();
      out.push_back(tool_result(content[i], at));
    } else {
      unsupported(type, at, kParam, "text, document or tool_result in a user message");
    }
  }
  flush();
}

tokenizer::ChatMessage assistant_turn(const json& content, const std::string& where) {
  tokenizer::ChatMessage msg{"assistant", "", std::nullopt, {}};
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = where + ".content[" + std::to_string(i) + "]";
    const json& block = content[i];
    const std::string type = block_type(block, at, kParam);
    if (type == "text") {
      append(msg.content, text_of(block, at, kParam));
    } else if (type == "thinking") {
      auto thinking = block.find("thinking");
      if (thinking == block.end() || !thinking->is_string()) bad("'" + at + ".thinking' must be a string");
      std::string reasoning = msg.reasoning_content.value_or("");
      append(reasoning, thinking->get<std::string>());
      msg.reasoning_content = std::move(reasoning);
    } else if (type == "redacted_thinking") {
      // Anthropic's encrypted reasoning: nothing a local model can read.
    } else if (type == "tool_use") {
      msg.tool_calls.push_back(tool_use(block, at));
    } else {
      unsupported(type, at, kParam, "text, thinking, redacted_thinking or tool_use in an assistant message");
    }
  }
  return msg;
}

}  // namespace

std::vector<tokenizer::ChatMessage> anthropic_conversation(const json& body) {
  std::vector<tokenizer::ChatMessage> out;
  if (auto system = body.find("system"); system != body.end() && !system->is_null()) {
    std::string text = text_or_text_blocks(*system, "system", "system");
    if (!text.empty()) out.push_back({"system", std::move(text), std::nullopt, {}});
  }
  auto messages = body.find("messages");
  if (messages == body.end() || messages->is_null()) bad("'messages' is required");
  if (!messages->is_array() || messages->empty()) bad("'messages' must be a non-empty array");
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) bad("'" + where + "' must be an object");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) bad("'" + where + ".role' must be a string");
    const std::string r = role->get<std::string>();
    if (r != "user" && r != "assistant")
      bad("'" + where + ".role' is '" + r + "': it must be user or assistant (system instructions go in 'system')");
    auto content = m.find("content");
    if (content == m.end() || !(content->is_string() || content->is_array()))
      bad("'" + where + ".content' must be a string or an array of content blocks");
    if (content->is_array() && content->empty()) bad("'" + where + ".content' must not be an empty array");
    if (content->is_string()) {
      out.push_back({r, content->get<std::string>(), std::nullopt, {}});
    } else if (r == "user") {
      user_turn(*content, where, out);
    } else {
      out.push_back(assistant_turn(*content, where));
    }
  }
  return out;
}

}  // namespace trit::server
