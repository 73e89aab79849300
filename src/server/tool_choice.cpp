#include "server/tool_choice.h"

#include <algorithm>
#include <vector>

#include "server/api_error.h"

namespace trit::server {
namespace {

using json = nlohmann::json;

constexpr const char* kParam = "tool_choice";
constexpr const char* kObjectShape = R"('tool_choice' must be {"type": "function", "function": {"name": ...}})";

// Function names of a `tools` array whose entries parse_chat_request has checked.
std::vector<std::string> tool_names(const json* tools) {
  std::vector<std::string> names;
  if (!tools) return names;
  for (const json& t : *tools) names.push_back(t["function"]["name"].get<std::string>());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The name a {"type": "function", "function": {"name": "X"}} object asks for.
std::string named_function(const json& choice) {
  auto type = choice.find("type");
  if (type == choice.end() || !type->is_string() || *type != "function") throw ApiError(400, kObjectShape, kParam);
  auto fn = choice.find("function");
  if (fn == choice.end() || !fn->is_object()) throw ApiError(400, kObjectShape, kParam);
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string() || name->get<std::string>().empty())
    throw ApiError(400, kObjectShape, kParam);
  return name->get<std::string>();
}

}  // namespace

ToolChoice resolve_tool_choice(const json* tool_choice, const json* tools) {
  ToolChoice out;
  if (!tool_choice || tool_choice->is_null()) return out;
  const std::vector<std::string> names = tool_names(tools);
  if (tool_choice->is_string()) {
    const std::string c = tool_choice->get<std::string>();
    if (c == "auto") return out;
    if (c == "none") {
      out.tools_in_prompt = false;
      return out;
    }
    if (c != "required")
      throw ApiError(400, "'tool_choice' must be none, auto, required or a function object", kParam);
    if (names.empty()) throw ApiError(400, "'tool_choice' is \"required\" but no 'tools' were given", kParam);
    out.forced = true;
    return out;
  }
  if (!tool_choice->is_object()) throw ApiError(400, "'tool_choice' must be a string or an object", kParam);
  const std::string name = named_function(*tool_choice);
  if (names.empty())
    throw ApiError(400, "'tool_choice' names function '" + name + "' but no 'tools' were given", kParam);
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw ApiError(400, "'tool_choice' names function '" + name + "', which is not one of 'tools' (" +
                            joined(names) + ")", kParam);
  out.forced = true;
  out.function = name;
  return out;
}

}  // namespace trit::server
