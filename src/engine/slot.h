// One lane of the continuous-batching scheduler: a KV cache of its own (the -c positions of one
// sequence) and, while busy, one request's generation state.
//
// tokens_ is the slot's sequence: the prompt and what was sampled after it. kv_->length() of them
// are in the cache; the rest are "unfed". A request starts with the prompt's uncached tail unfed
// (prefill, fed in chunks over several steps) and then always has exactly one unfed token, the
// last sampled one (decode). So every step just feeds a slot some of its unfed tokens, and when a
// step feeds the last one its logits row is sampled. When a request ends the unfed token is
// dropped: tokens_ then equals the cache, which the next request to this slot can reuse.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/scheduler_request.h"
#include "engine/stop_strings.h"
#include "model/kv_cache.h"
#include "tokenizer/stream_decoder.h"
#include "util/timer.h"

namespace trit::engine {

class Slot {
 public:
  Slot(int id, std::unique_ptr<model::KvSequence> kv) : id_(id), kv_(std::move(kv)) {}

  int id() const { return id_; }
  bool busy() const { return request_ != nullptr; }
  // Busy and still feeding its prompt (more than the one token of a decode step unfed).
  bool prefilling() const { return busy() && !sampled_any_; }
  model::KvSequence& kv() { return *kv_; }
  const model::KvSequence& kv() const { return *kv_; }
  uint64_t last_used() const { return last_used_; }

  // How many leading tokens of `prompt` this slot's cache already holds.
  size_t cached_prefix(const std::vector<int32_t>& prompt) const;

  // Takes a request: keeps the cached prefix (at least the last prompt token is recomputed, its
  // logits are needed), queues the rest as unfed.
  void start(std::shared_ptr<RequestHandle> request, const tokenizer::Tokenizer& tokenizer, double queue_seconds,
             uint64_t tick);

  // The tokens to feed this step: all unfed ones, at most `budget`.
  std::span<const int32_t> next_input(int64_t budget) const;
  // Whether feeding `n` tokens now completes the unfed part (the logits row is then sampled).
  bool completes(int64_t n) const { return kv_->length() + n == static_cast<int64_t>(tokens_.size()); }

  // After a step that fed this slot's last unfed token: samples from its logits row, streams the
  // text, and finishes the request when it ends. Returns the number of tokens sampled (0 or 1).
  int sample(std::span<const float> logits, const tokenizer::Tokenizer& tokenizer);

  // Ends the request (cancelled, failed, or done) and keeps the cache for reuse.
  void finish(StopReason reason, const std::string& error = "");

  bool cancel_requested() const { return request_ && request_->cancelled(); }

 private:
  int id_;
  std::unique_ptr<model::KvSequence> kv_;
  std::vector<int32_t> tokens_;
  uint64_t last_used_ = 0;

  // Per request.
  std::shared_ptr<RequestHandle> request_;
  std::optional<Sampler> sampler_;
  std::optional<tokenizer::StreamDecoder> decoder_;
  std::optional<StopStringFilter> stops_;
  RequestResult result_;
  bool sampled_any_ = false;
  Timer timer_;
  std::vector<int32_t> eog_ids_;  // ignore_eos: the ids masked out
  std::vector<float> masked_;     // ignore_eos: the logits row with those ids at -inf
};

}  // namespace trit::engine
