// A generation request as the scheduler sees it, and the handle through which the submitting
// thread (an HTTP handler) receives its output. The scheduler thread produces, the handler
// consumes: text and token details are appended under a mutex and taken in batches, so a slow
// client never slows the batch (its output just accumulates until it reads).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <optional>
#include <vector>

#include "engine/generate_options.h"
#include "engine/sampling.h"

namespace trit::engine {

struct ScheduledRequest {
  std::vector<int32_t> prompt;  // token ids, at least one, shorter than the slot context
  GenerateOptions options;      // max_tokens, sampling (with seed), stop strings, skip_special
  int logprobs = -1;            // -1: none; n >= 0: the chosen token's logprob and n alternatives
  bool token_ids = false;       // emit each sampled token's id even without logprobs
  bool ignore_eos = false;      // never sample end-of-generation tokens (benchmarks, tests)
  // The request's own drafting (llama-server's speculative.n_max / n_min) over the server's
  // (SchedulerOptions::speculation): draft_max 0 turns drafts off, more turns them on (the server's
  // draft model where it has one, else n-gram lookup).
  std::optional<int> draft_max, draft_min;
  std::optional<float> draft_p_min;  // speculative.p_min: a draft model's confidence floor
};

// A sampled token with its log-probabilities (only when the request asked for logprobs or token
// ids; logprob and top are filled only with logprobs).
struct SampledToken {
  int32_t token = 0;
  float logprob = 0.0f;
  std::vector<TokenProbability> top;
};

// The final account of a request.
struct RequestResult {
  StopReason reason = StopReason::end_of_generation;
  std::string error;              // non-empty when the forward pass failed
  std::string stop_string;        // reason stop_string: the stop string that ended the text
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;      // of the prompt, reused from the slot's cache
  int64_t generated_tokens = 0;   // sampled tokens (an end-of-generation token included)
  double queue_seconds = 0.0;     // waiting for a slot
  double prompt_seconds = 0.0;    // from getting a slot to the first sampled token
  double decode_seconds = 0.0;    // from the first to the last sampled token
  int slot = -1;
  double decode_tokens_per_second() const {
    return decode_seconds > 0 && generated_tokens > 1 ? (generated_tokens - 1) / decode_seconds : 0.0;
  }
};

// What a consumer takes at once: everything produced since its last take.
struct RequestOutput {
  std::string text;                   // released text (stop strings already applied)
  std::vector<SampledToken> tokens;   // tokens behind that text, when logprobs or token ids were asked
  bool done = false;                  // the request is finished; `result` is final
  RequestResult result;
};

class RequestHandle {
 public:
  explicit RequestHandle(ScheduledRequest request) : request_(std::move(request)) {}

  const ScheduledRequest& request() const { return request_; }

  // ---- consumer side (any thread) ----
  // Waits until there is output or the request is done (or `timeout` passes) and takes it.
  RequestOutput take(std::chrono::milliseconds timeout);
  // Asks the scheduler to stop this request at its next step (a client went away).
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // ---- producer side (the scheduler thread) ----
  void emit(const std::string& text, const SampledToken* token);
  void finish(const RequestResult& result);

 private:
  ScheduledRequest request_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable ready_;
  RequestOutput pending_;
};

}  // namespace trit::engine
