// Turns a scheduled request's output into OpenAI response bodies, for both endpoints and both
// modes. One GenerationStream per request, used by the HTTP thread that serves it:
//   streaming:     role chunk, then delta chunks as text arrives, then a chunk with finish_reason,
//                  optionally a usage chunk (stream_options.include_usage), then "data: [DONE]".
//   non-streaming: one object at the end.
// Chat output goes through ChatOutputParser: <think> text becomes "reasoning_content",
// <tool_call> blocks become "tool_calls" (finish_reason "tool_calls").
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/scheduler_request.h"
#include "server/openai_request.h"
#include "server/response_writer.h"
#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {


class GenerationStream final : public ResponseWriter {
 public:
  GenerationStream(bool chat, const GenerationRequest& request, const tokenizer::Tokenizer& tokenizer,
                   std::string model_id);

  // Makes this stream choice `index` of a request with several (ChoicesStream): the id and
  // creation time of `first`, chunks carrying `index`, and no usage chunk, error event or
  // [DONE] of its own (the ChoicesStream writes those once).
  void make_choice(size_t index, const GenerationStream& first);
  // The chunk with no choices that carries `usage` (stream_options.include_usage).
  nlohmann::json usage_chunk(const engine::RequestResult& usage) const;

  // SSE events ("data: {...}\n\n") for the output of one take (empty string: nothing to send).
  std::string stream_events(const engine::RequestOutput& out) override;
  // The whole response object, once `out.done` (call with every take's output in order).
  void accumulate(const engine::RequestOutput& out) override;
  nlohmann::json final_object() const override;

 private:
  nlohmann::json chunk(nlohmann::json choice) const;
  nlohmann::json chat_delta(const tokenizer::ChatOutputParser::Delta& d);
  const char* finish() const;

  bool chat_;
  size_t index_ = 0;
  bool alone_ = true;  // the request's only choice: writes the stream's end itself
  const GenerationRequest& request_;
  const tokenizer::Tokenizer& tokenizer_;
  std::string model_id_, id_;
  int64_t created_;
  tokenizer::ChatOutputParser parser_;
  bool role_sent_ = false;
  size_t tool_calls_sent_ = 0;
  size_t text_offset_ = 0;  // completions logprobs: bytes of text so far
  std::string text_;        // completions: all text
  std::vector<engine::SampledToken> tokens_;
  std::optional<engine::RequestResult> result_;
};

}  // namespace trit::server
