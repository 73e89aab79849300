// Turns a scheduled request's output into the Responses API's answer: a response object
// ({"object": "response", "output": [items], "usage", ...} plus the request's echoes) and, when
// streaming, the typed SSE events that build it ("event: response.output_text.delta\ndata: {...}",
// each with a sequence_number):
//   response.created, response.in_progress,
//   per output item: response.output_item.added, then
//     reasoning (<think> text):  response.reasoning_text.delta ... .done
//     message (the answer):      response.content_part.added, response.output_text.delta ...,
//                                response.output_text.done, response.content_part.done
//     function_call (a <tool_call> block): response.function_call_arguments.delta, .done
//   response.output_item.done; and last response.completed (response.incomplete when cut by
//   max_output_tokens or the context, response.failed when the generation failed).
// Both modes run the same item logic, so a streamed response ends as the same object a plain
// request gets. A finished response with store: true is saved in the ResponseStore.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "server/response_store.h"
#include "server/response_writer.h"
#include "server/responses_request.h"
#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

class ResponsesStream final : public ResponseWriter {
 public:
  // `generation`: the job's copy of the request (request.generation is moved out and unused).
  ResponsesStream(const GenerationRequest& generation, ResponsesRequest request, const tokenizer::Tokenizer& tokenizer,
                  std::string model_id, ResponseStore& store);

  std::string stream_events(const engine::RequestOutput& out) override;
  void accumulate(const engine::RequestOutput& out) override;
  nlohmann::json final_object() const override;

  const std::string& id() const { return id_; }

 private:
  enum class Open { none, reasoning, message };
  void take(const engine::RequestOutput& out);
  void emit(const char* type, nlohmann::json data);
  nlohmann::json response_object(const char* status) const;
  void add_reasoning(const std::string& text);
  void add_content(const std::string& text);
  void add_function_call(const tokenizer::ParsedToolCall& call);
  void close_open(const char* status = "completed");
  void finish(const engine::RequestResult& result);
  nlohmann::json& open_item() { return output_.back(); }

  ResponsesRequest request_;
  const tokenizer::Tokenizer& tokenizer_;
  std::string model_id_, id_;
  int64_t created_at_;
  ResponseStore& store_;
  bool streaming_;
  tokenizer::ChatOutputParser parser_;
  std::string events_;                              // SSE text not yet handed out
  int64_t sequence_ = 0;
  bool started_ = false;
  nlohmann::json output_ = nlohmann::json::array();
  Open open_ = Open::none;
  std::string open_text_;     // the open item's text so far
  std::string held_space_;    // content that is only whitespace so far: no message item for it yet
  nlohmann::json final_;      // the finished response object (or an error body)
};

}  // namespace trit::server
