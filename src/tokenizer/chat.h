// Chat templates: render a conversation into the prompt text exactly as the model's Jinja chat
// template does under Hugging Face's apply_chat_template (the engine is tokenizer/jinja/), and
// parse what the model writes back (reasoning in <think>...</think>, tool calls as Qwen3's
// <tool_call>{json}</tool_call>).
//
// Which template: the GGUF's tokenizer.chat_template (or --chat-template-file's text); a file
// without one gets the built-in Qwen3 template (kQwen3ChatTemplate), which writes ChatML turns, so
// no separate ChatML renderer is needed.
#pragma once
#include <memory>
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
  // More template variables (the API's chat_template_kwargs, e.g. preserve_thinking); names the
  // context already has (messages, tools, add_generation_prompt, enable_thinking) are ignored.
  ordered_json template_kwargs = ordered_json::object();
};

struct RenderedChat;
namespace jinja {
class Template;
}

// A parsed chat template. The context it sees is what transformers passes: messages (role,
// content, reasoning_content when set, tool_calls as [{type: "function", function: {name,
// arguments}}] when there are any), tools (the list, or None when empty), add_generation_prompt,
// enable_thinking, bos_token and eos_token.
class ChatFormat {
 public:
  // Throws trit::Error naming the template line when the source does not parse or uses a
  // construct trit does not support.
  explicit ChatFormat(const std::string& jinja_source);
  static ChatFormat qwen3();  // the built-in Qwen3 template
  const std::string& source() const { return source_; }
  const jinja::Template& jinja() const { return *template_; }
  std::string bos_token, eos_token;  // special-token texts the template may print

 private:
  std::string source_;
  std::shared_ptr<const jinja::Template> template_;
};

// The format for a file's template: the template itself, or the built-in Qwen3 template when
// the file has none or its template cannot be used; `notice` then says so (empty otherwise).
ChatFormat detect_chat_format(const std::string& jinja_source, std::string* notice = nullptr);

// Throws trit::Error ("chat template line N: ...") when the template fails on this conversation
// (raise_exception, an unsupported construct met at run time).
std::string render_chat(const ChatFormat& format, const std::vector<ChatMessage>& messages,
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
RenderedChat render_chat_marked(const ChatFormat& format, const std::vector<ChatMessage>& messages,
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
    // Appends a later delta (an answer accumulated from its stream's deltas).
    Delta& operator+=(Delta&& later) {
      reasoning += later.reasoning;
      content += later.content;
      for (auto& call : later.tool_calls) tool_calls.push_back(std::move(call));
      return *this;
    }
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
