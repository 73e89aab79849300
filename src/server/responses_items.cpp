#include "server/responses_items.h"

#include <utility>

#include "server/api_error.h"
#include "server/openai_response.h"
#include "util/json_depth.h"

namespace trit::server {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& message) { throw ApiError(400, message, "input"); }

bool is_media(const std::string& type) {
  return type == "input_image" || type == "input_file" || type == "input_audio" || type == "image_url" ||
         type == "image" || type == "file";
}

// Message or tool-output content as text parts [{"type": part_type, "text"}].
json text_parts(const json& content, const std::string& where, const char* part_type) {
  if (content.is_string()) return json::array({{{"type", part_type}, {"text", content}}});
  if (!content.is_array()) bad(where + " must be a string or an array of content parts");
  json parts = json::array();
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      bad(at + " must be an object with a string 'type'");
    const std::string type = part["type"].get<std::string>();
    if (is_media(type)) bad(at + " is a '" + type + "' part: this model takes text only");
    if (type != "input_text" && type != "output_text" && type != "text" && type != "refusal")
      bad(at + " has part type '" + type + "' (input_text or output_text expected)");
    const char* key = type == "refusal" ? "refusal" : "text";
    if (!part.contains(key) || !part[key].is_string()) bad(at + "." + key + " must be a string");
    parts.push_back({{"type", part_type}, {"text", part[key]}});
  }
  return parts;
}

std::string joined_text(const json& parts) {
  std::string text;
  for (const json& p : parts)
    if (p.is_object() && p.contains("text") && p["text"].is_string()) text += p["text"].get<std::string>();
  return text;
}

const std::string& required_string(const json& item, const char* key, const std::string& where) {
  auto it = item.find(key);
  if (it == item.end() || !it->is_string()) bad(where + "." + key + " must be a string");
  return it->get_ref<const std::string&>();
}

json normalize_item(const json& item, const std::string& where) {
  if (!item.is_object()) bad(where + " must be an object");
  std::string type = "message";
  if (auto t = item.find("type"); t != item.end() && !t->is_null()) {
    if (!t->is_string()) bad(where + ".type must be a string");
    type = t->get<std::string>();
  }
  if (type == "message") {
    std::string role = required_string(item, "role", where);
    if (role != "user" && role != "system" && role != "developer" && role != "assistant")
      bad(where + ".role '" + role + "' is unknown (user, system, developer or assistant)");
    auto content = item.find("content");
    if (content == item.end()) bad(where + ".content is missing");
    const char* part_type = role == "assistant" ? "output_text" : "input_text";
    json out = {{"type", "message"}, {"id", item.value("id", json(responses_id("msg")))}, {"role", role},
                {"content", text_parts(*content, where + ".content", part_type)}, {"status", "completed"}};
    if (!out["id"].is_string()) out["id"] = responses_id("msg");
    return out;
  }
  if (type == "function_call") {
    const std::string& args = required_string(item, "arguments", where);
    if (json_nesting_depth(args) > kMaxJsonDepth)
      bad(where + ".arguments is JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return {{"type", "function_call"},
            {"id", item.contains("id") && item["id"].is_string() ? item["id"] : json(responses_id("fc"))},
            {"call_id", required_string(item, "call_id", where)},
            {"name", required_string(item, "name", where)},
            {"arguments", args},
            {"status", "completed"}};
  }
  if (type == "function_call_output") {
    auto output = item.find("output");
    if (output == item.end()) bad(where + ".output is missing");
    json text = output->is_string() ? *output : json(joined_text(text_parts(*output, where + ".output", "input_text")));
    return {{"type", "function_call_output"},
            {"id", item.contains("id") && item["id"].is_string() ? item["id"] : json(responses_id("fco"))},
            {"call_id", required_string(item, "call_id", where)},
            {"output", text},
            {"status", "completed"}};
  }
  if (type == "reasoning") {
    // Sent back by clients that keep the conversation themselves (store: false); only its text
    // matters to the prompt.
    json out = {{"type", "reasoning"}, {"id", item.contains("id") && item["id"].is_string() ? item["id"] : json(responses_id("rs"))},
                {"summary", json::array()}};
    for (const char* key : {"summary", "content"}) {
      auto it = item.find(key);
      if (it == item.end() || it->is_null()) continue;
      if (!it->is_array()) bad(where + "." + key + " must be an array");
      for (const json& p : *it)
        if (!p.is_object() || !p.contains("text") || !p["text"].is_string())
          bad(where + "." + key + " entries must be objects with a string 'text'");
      out[key] = *it;
    }
    return out;
  }
  bad(where + " has type '" + type + "', which is not supported (message, function_call, function_call_output or reasoning)");
}

tokenizer::ToolCall tool_call_of(const json& item) {
  tokenizer::ToolCall tc;
  tc.name = item["name"].get<std::string>();
  const std::string& args = item["arguments"].get_ref<const std::string&>();
  try {
    tc.arguments = tokenizer::ordered_json::parse(args);
  } catch (const json::exception&) {
    tc.arguments = args;  // written verbatim, as the model wrote it
  }
  return tc;
}

std::string reasoning_text(const json& item) {
  std::string text;
  for (const char* key : {"content", "summary"}) {
    if (!item.contains(key)) continue;
    text = joined_text(item[key]);
    if (!text.empty()) return text;
  }
  return text;
}

}  // namespace

std::string responses_id(const char* prefix) {
  std::string id = make_id(prefix);
  for (char& c : id)
    if (c == '-') c = '_';
  return id;
}

json normalize_input(const json& input) {
  if (input.is_string())
    return json::array({normalize_item({{"role", "user"}, {"content", input}}, "input")});
  if (!input.is_array() || input.empty()) bad("'input' must be a string or a non-empty array of items");
  json items = json::array();
  for (size_t i = 0; i < input.size(); ++i) items.push_back(normalize_item(input[i], "input[" + std::to_string(i) + "]"));
  return items;
}

std::vector<tokenizer::ChatMessage> items_to_messages(const json& items) {
  std::vector<tokenizer::ChatMessage> messages;
  std::string reasoning;  // of the next assistant turn
  // The assistant turn a function call joins: the last message, if it is the assistant's.
  auto assistant_turn = [&]() -> tokenizer::ChatMessage& {
    if (messages.empty() || messages.back().role != "assistant") {
      messages.push_back({});
      messages.back().role = "assistant";
    }
    tokenizer::ChatMessage& m = messages.back();
    if (!reasoning.empty() && !m.reasoning_content) m.reasoning_content = std::move(reasoning);
    reasoning.clear();
    return m;
  };
  for (const json& item : items) {
    const std::string& type = item["type"].get_ref<const std::string&>();
    if (type == "message") {
      std::string role = item["role"].get<std::string>();
      const std::string text = joined_text(item["content"]);
      if (role == "assistant") {
        // A message after the turn's function calls starts a new turn, as the chat API would.
        if (!messages.empty() && messages.back().role == "assistant" && !messages.back().tool_calls.empty()) {
          messages.push_back({});
          messages.back().role = "assistant";
        }
        tokenizer::ChatMessage& m = assistant_turn();
        m.content += text;
        continue;
      }
      tokenizer::ChatMessage m;
      m.role = role == "developer" ? "system" : role;
      m.content = text;
      messages.push_back(std::move(m));
    } else if (type == "function_call") {
      assistant_turn().tool_calls.push_back(tool_call_of(item));
    } else if (type == "function_call_output") {
      tokenizer::ChatMessage m;
      m.role = "tool";
      m.content = item["output"].get<std::string>();
      messages.push_back(std::move(m));
    } else if (type == "reasoning") {
      reasoning += reasoning_text(item);
    }
  }
  return messages;
}

}  // namespace trit::server
