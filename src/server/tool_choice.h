// tool_choice of a chat request -> what the prompt holds and whether a call is forced. The model
// cannot be told to call a tool, but it can be made to: a grammar (structured_output.h,
// force_tool_call) lets it write nothing but a call in the template's format, with arguments
// that conform to the function's parameters, so the answer always parses into tool_calls
// (finish_reason "tool_calls").
//   absent, "auto"  tools in the prompt, nothing forced
//   "none"          tools left out of the prompt
//   "required"      a call to one of the tools is forced
//   {"type": "function", "function": {"name": "X"}}
//                   a call to X is forced
// Wrong shapes, unknown function names and forcing without tools are ApiError 400 on
// "tool_choice".
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace trit::server {

struct ToolChoice {
  bool tools_in_prompt = true;  // false for "none"
  bool forced = false;          // "required" or a named function
  std::string function;         // the named function (empty: any of the tools)
};

// tool_choice: the request's field, or nullptr when absent or null. tools: the request's (already
// checked) `tools` array, or nullptr when absent.
ToolChoice resolve_tool_choice(const nlohmann::json* tool_choice, const nlohmann::json* tools);

}  // namespace trit::server
