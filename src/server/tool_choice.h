// tool_choice of a chat request -> what the prompt holds. The model cannot be told to call a tool,
// but it can be made to: the prompt ends with the opening of the call, written exactly as the
// chat template writes a call in an assistant turn, and the model continues inside it.
//   absent, "auto"  tools in the prompt, nothing forced
//   "none"          tools left out of the prompt
//   "required"      forced "<tool_call>\n": the model picks the function and writes the call
//   {"type": "function", "function": {"name": "X"}}
//                   forced "<tool_call>\n{\"name\": \"X\", \"arguments\":": the model writes the
//                   arguments only. The prefix stops before the space after the colon: the
//                   tokenizer splits `": {"` as `":` + ` {"`, so ending on `":` leaves the model
//                   the same next token as in a template-written call.
// The forced text counts as the start of the assistant's output: the output parser reads it
// before the generated text, so the call comes back as tool_calls (finish_reason "tool_calls").
// Wrong shapes, unknown function names and forcing without tools are ApiError 400 on
// "tool_choice".
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace trit::server {

struct ToolChoice {
  bool tools_in_prompt = true;   // false for "none"
  std::string assistant_prefix;  // text the assistant turn is forced to begin with ("" for none)
};

// tool_choice: the request's field, or nullptr when absent or null. tools: the request's (already
// checked) `tools` array, or nullptr when absent.
ToolChoice resolve_tool_choice(const nlohmann::json* tool_choice, const nlohmann::json* tools);

}  // namespace trit::server
