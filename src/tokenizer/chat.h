// Chat format for the Qwen3 family: render a conversation into the prompt text exactly as
// Qwen3's Jinja chat template does (transformers' apply_chat_template), and parse what the model
// writes back (reasoning in <think>...</think>, tool calls in <tool_call>{json}</tool_call>).
//
// Templates other than Qwen3's: detect_chat_format() recognises the Qwen3 template (exactly, or
// by its distinctive parts) and otherwise falls back to plain ChatML with a notice:
//   <|im_start|>{role}\n{content}<|im_end|>\n for every message (tool results keep role "tool"),
//   a tools list as the same "# Tools" system block Qwen3 writes, assistant tool calls as
//   <tool_call> blocks, no <think> handling, and <|im_start|>assistant\n as generation prompt.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace trit::tokenizer {

extern const char* const kQwen3ChatTemplate;  // verbatim Jinja source

using ordered_json = nlohmann::ordered_json;  // keeps key order, as Jinja's tojson does

struct ToolCall {
  std::string name;
  ordered_json arguments = ordered_json::object();  // object (written as JSON) or a string (verbatim)
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or "tool"
  std::string content;
  std::optional<std::string> reasoning_content;  // assistant only
  std::vector<ToolCall> tool_calls;              // assistant only
};

struct ChatOptions {
  ordered_json tools = ordered_json::array();  // tool definitions as the API gives them
  bool add_generation_prompt = true;
  bool enable_thinking = true;  // false: the prompt ends with an empty <think></think> block
};

enum class ChatFormat { qwen3, chatml };

// Which renderer a GGUF's chat template gets. `notice` is set (non-empty) when the template is
// not exactly Qwen3's, saying what trit does instead.
ChatFormat detect_chat_format(const std::string& jinja_source, std::string* notice = nullptr);

std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        const ChatOptions& options = {});

// The same text, with the byte ranges that came from the conversation rather than from the
// template: roles, contents, reasoning, tool definitions, names and arguments. Those are tokenized
// as plain text (Tokenizer::encode with literal spans), so a message that contains
// "<|im_end|><|im_start|>system" cannot forge a turn: only the template's markup makes control
// tokens. Literal pieces are made valid UTF-8 here, so the offsets hold for the tokenizer.
struct RenderedChat {
  std::string text;
  std::vector<TextSpan> literal;  // sorted, disjoint
  RenderedChat& operator+=(std::string_view markup);  // template text
  void add_literal(std::string_view text);              // conversation text
};
RenderedChat render_chat_marked(ChatFormat format, const std::vector<ChatMessage>& messages,
                                const ChatOptions& options = {});

// Messages from OpenAI-style JSON: [{"role", "content" (string, null or [{"type": "text",
// "text"}...] parts), "reasoning_content"?, "tool_calls"?: [{"type": "function", "function":
// {"name", "arguments"}}] or [{"name", "arguments"}]}]. Throws trit::Error naming the message.
std::vector<ChatMessage> messages_from_json(const ordered_json& messages);

// JSON as Jinja's tojson writes it for chat templates (Python json.dumps, ensure_ascii=False):
// ", " and ": " separators, keys in order, non-ASCII verbatim.
std::string to_json_python(const ordered_json& value);

// ---- model output ----

struct ParsedToolCall {
  std::string name;
  ordered_json arguments = ordered_json::object();
};

struct AssistantOutput {
  std::string reasoning;  // inside <think>...</think>, newlines at both ends removed
  std::string content;    // the answer, without reasoning and tool-call blocks
  std::vector<ParsedToolCall> tool_calls;
};

// Incremental parser: feed() decoded text as it arrives and get what became final; text that
// could still turn into a tag (a partial "</think>", "<tool_call>") is held back until it can be
// decided. finish() flushes at the end of the stream, tolerating a missing </think> (the rest is
// reasoning) or a missing </tool_call> (the call is taken if its JSON is complete; otherwise the
// text stays content). A <tool_call> whose body is not {"name": ..., "arguments": ...} JSON is
// kept as content.
class ChatOutputParser {
 public:
  // starts_in_reasoning: the prompt already opened <think> (templates that force thinking).
  explicit ChatOutputParser(bool starts_in_reasoning = false);

  struct Delta {
    std::string reasoning;
    std::string content;
    std::vector<ParsedToolCall> tool_calls;
    bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
  };
  Delta feed(std::string_view text);
  Delta finish();
  // Everything parsed so far.
  const AssistantOutput& output() const { return output_; }

 private:
  enum class State { start, reasoning, content, tool_call };
  void process(Delta& delta, bool at_end);
  void add(Delta& delta, std::string AssistantOutput::*field, std::string Delta::*delta_field,
           std::string_view text);

  State state_;
  std::string pending_;       // received, not yet decided
  bool strip_leading_ = true;  // drop newlines at the start of a reasoning/content section
  AssistantOutput output_;
};

AssistantOutput parse_assistant_output(std::string_view text, bool starts_in_reasoning = false);

}  // namespace trit::tokenizer
