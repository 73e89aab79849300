// How one API renders a running generation: OpenAI's chat and text completions
// (GenerationStream), and each further API that drives the same scheduler (Anthropic Messages,
// llama.cpp's native endpoints, OpenAI Responses) with a writer of its own. serve_generation()
// (generation_job.h) feeds it every take of the request's output, in order.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/scheduler_request.h"

namespace trit::server {

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Streaming: the SSE text for one take's output (empty: nothing to send yet). The take with
  // `out.done` must close the stream in the API's way (a final event, an error event).
  virtual std::string stream_events(const engine::RequestOutput& out) = 0;
  // Streaming: what is written after a second without output, so that a client that left is
  // noticed (an SSE comment by default; clients ignore it).
  virtual std::string keep_alive() const { return ": keep-alive\n\n"; }
  // Not streaming: takes every take's output; final_object() is the whole answer once the last
  // take (`out.done`) has been accumulated.
  virtual void accumulate(const engine::RequestOutput& out) = 0;
  virtual nlohmann::json final_object() const = 0;

  // Requests with several choices (OpenAI's n, batched prompts; GenerationRequest::n): the output
  // of choice `index`, each choice's takes in order. A writer for one choice keeps these defaults,
  // and serve_generation() refuses (400) a request with more choices than max_choices().
  virtual size_t max_choices() const { return 1; }
  virtual std::string stream_choice_events(size_t /*index*/, const engine::RequestOutput& out) {
    return stream_events(out);
  }
  virtual void accumulate_choice(size_t /*index*/, const engine::RequestOutput& out) { accumulate(out); }
};

}  // namespace trit::server
