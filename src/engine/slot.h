// One lane of the continuous-batching scheduler: a sequence of its own (the -c positions of its
// memory, kept between requests for prefix reuse) and, while busy, the request it generates for.
// The generation bookkeeping (prefix reuse, what to feed, sampling, stop strings, limits) is the
// sequence's (engine/sequence.h); the slot connects it to the request handle: text and logprobs
// out, the final account in.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/prompt_cache.h"
#include "engine/scheduler_request.h"
#include "engine/sequence.h"
#include "engine/slot_state.h"

namespace trit::engine {

class Slot {
 public:
  Slot(int id, std::unique_ptr<model::SequenceMemory> memory, const tokenizer::Tokenizer& tokenizer)
      : id_(id), sequence_(std::move(memory), tokenizer) {}

  int id() const { return id_; }
  bool busy() const { return request_ != nullptr; }
  // Busy and still feeding its prompt (more than the one token of a decode step unfed).
  bool prefilling() const { return busy() && sequence_.prefilling(); }
  model::SequenceMemory& memory() { return sequence_.memory(); }
  const model::SequenceMemory& memory() const { return sequence_.memory(); }
  uint64_t last_used() const { return last_used_; }

  // How many leading tokens of `prompt` this slot's memory already holds.
  size_t cached_prefix(const std::vector<int32_t>& prompt) const { return sequence_.cached_prefix(prompt); }

  // The prompt this slot is feeding or generating after (empty when idle).
  std::span<const int32_t> prompt() const {
    return busy() ? std::span<const int32_t>(request_->request().prompt) : std::span<const int32_t>();
  }
  // Idle: takes the first `length` cached tokens of `from` (Sequence::copy_prefix).
  bool copy_prefix(const Slot& from, size_t length) { return !busy() && sequence_.copy_prefix(from.sequence_, length); }
  // Idle: takes the prefix a prompt cache entry holds.
  bool copy_prefix(const PromptCache::Match& cached) {
    return !busy() && sequence_.copy_prefix(*cached.memory, cached.tokens, cached.length);
  }
  // Idle: forgets what its memory holds, giving its KV pages back to the pool.
  void forget() {
    if (!busy()) sequence_.clear();
  }
  // The tokens its memory holds (kept for reuse between requests).
  std::span<const int32_t> held_tokens() const { return sequence_.held_tokens(); }

  // Takes a request (its prompt already checked by the scheduler), drafting as `speculation` says.
  void start(std::shared_ptr<RequestHandle> request, double queue_seconds, uint64_t tick,
             const SpeculationOptions& speculation);

  // The tokens to feed this step: all unfed ones, at most `budget`.
  std::span<const int32_t> next_input(int64_t budget) { return sequence_.next_input(budget); }
  // Whether feeding `n` tokens now completes the unfed part (the logits row is then sampled).
  bool completes(int64_t n) const { return sequence_.completes(n); }
  // The input holds drafts (Sequence::verifying()): it needs a logits row per token.
  bool verifying() const { return sequence_.verifying(); }

  // After a step that fed this slot's last unfed token: samples from its logits rows (one, or one
  // per token while drafts are verified), streams the text, and finishes the request when it ends.
  // Returns the number of tokens sampled.
  int sample(std::span<const float> rows, size_t n_vocab);

  // Drafted and accepted tokens of the requests this slot has finished (for /metrics).
  int64_t drafted_total() const { return drafted_total_; }
  int64_t accepted_total() const { return accepted_total_; }

  // Ends the request (cancelled, failed, or done) and keeps the memory for reuse (not after a
  // failure: then it may be half written).
  void finish(StopReason reason, const std::string& error = "");

  bool cancel_requested() const { return request_ && request_->cancelled(); }

  // A copy of what the slot is doing (the scheduler thread takes it; see slot_state.h).
  SlotState state() const;

 private:
  int id_;
  Sequence sequence_;
  uint64_t last_used_ = 0;
  std::shared_ptr<RequestHandle> request_;
  double queue_seconds_ = 0.0;
  SlotState last_;  // the settings of the current or last request (GET /slots shows them)
  int64_t drafted_total_ = 0, accepted_total_ = 0;

  void handle(const Sequence::Step& step);  // one row's step: emit, finish at a stop
};

}  // namespace trit::engine
