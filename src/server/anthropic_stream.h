// Turns a scheduled request's output into Anthropic Messages responses, streamed or whole.
// The generated text goes through ChatOutputParser (a forced tool_choice's grammar lets it be
// only a call): <think> text becomes a thinking block ({"type": "thinking", "thinking",
// "signature": ""}: nothing to sign), the answer a text block, each <tool_call> a tool_use block
// ({"id": "toolu_...", "name", "input"}), in that order.
//   streaming:     event: message_start, ping, then per block content_block_start,
//                  content_block_delta (thinking_delta, text_delta, input_json_delta),
//                  content_block_stop, and at the end message_delta (stop_reason, stop_sequence,
//                  usage) and message_stop. A failed or cut generation ends with event: error
//                  instead ({"type": "error", "error": {"type", "message"}}). Keep-alives are
//                  ping events.
//   non-streaming: {"id": "msg_...", "type": "message", "role": "assistant", "model", "content",
//                  "stop_reason", "stop_sequence", "usage"}.
// stop_reason: tool_use when the answer holds a tool call, else end_turn, max_tokens,
// stop_sequence (stop_sequence names it) or model_context_window_exceeded. The content always
// holds a text block unless it holds a tool call (an empty answer is one empty text block).
// usage: input_tokens (the prompt less what came from the cache), cache_read_input_tokens,
// output_tokens.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/scheduler_request.h"
#include "server/generation_request.h"
#include "server/response_writer.h"
#include "tokenizer/chat.h"

namespace trit::server {

class AnthropicStream final : public ResponseWriter {
 public:
  AnthropicStream(const GenerationRequest& request, std::string model_id);

  std::string stream_events(const engine::RequestOutput& out) override;
  std::string keep_alive() const override;
  void accumulate(const engine::RequestOutput& out) override;
  nlohmann::json final_object() const override;

 private:
  enum class Block { none, thinking, text };
  void open_block(std::string& events, Block kind, const nlohmann::json& block);
  void close_block(std::string& events);
  void send_delta(std::string& events, const tokenizer::ChatOutputParser::Delta& d);
  const char* stop_reason() const;

  const GenerationRequest& request_;
  std::string model_id_, id_;
  tokenizer::ChatOutputParser parser_;
  bool started_ = false;        // message_start sent
  Block open_ = Block::none;    // the block being streamed (tool_use blocks open and close at once)
  int index_ = 0;               // of the next block
  bool text_sent_ = false;
  std::optional<engine::RequestResult> result_;
};

}  // namespace trit::server
