#include "engine/slot.h"

#include <algorithm>
#include <limits>

namespace trit::engine {

size_t Slot::cached_prefix(const std::vector<int32_t>& prompt) const {
  const size_t cached = std::min(tokens_.size(), static_cast<size_t>(kv_->length()));
  size_t n = 0;
  while (n < cached && n < prompt.size() && tokens_[n] == prompt[n]) ++n;
  return n;
}

void Slot::start(std::shared_ptr<RequestHandle> request, const tokenizer::Tokenizer& tokenizer, double queue_seconds,
                 uint64_t tick) {
  const ScheduledRequest& r = request->request();
  size_t common = cached_prefix(r.prompt);
  if (common == r.prompt.size()) --common;  // the last prompt token is fed again for its logits
  kv_->truncate(static_cast<int64_t>(common));
  tokens_ = r.prompt;

  request_ = std::move(request);
  sampler_.emplace(r.options.sampling);
  decoder_.emplace(tokenizer, r.options.skip_special);
  stops_.emplace(r.options.stop);
  result_ = RequestResult{};
  result_.prompt_tokens = static_cast<int64_t>(r.prompt.size());
  result_.cached_tokens = static_cast<int64_t>(common);
  result_.queue_seconds = queue_seconds;
  result_.slot = id_;
  sampled_any_ = false;
  eog_ids_.clear();
  if (r.ignore_eos)
    for (int32_t id = 0; id < static_cast<int32_t>(tokenizer.vocab_size()); ++id)
      if (tokenizer.is_eog(id)) eog_ids_.push_back(id);
  last_used_ = tick;
  timer_.reset();
}

std::span<const int32_t> Slot::next_input(int64_t budget) const {
  const int64_t fed = kv_->length();
  const int64_t n = std::min<int64_t>(budget, static_cast<int64_t>(tokens_.size()) - fed);
  return std::span<const int32_t>(tokens_.data() + fed, static_cast<size_t>(std::max<int64_t>(n, 0)));
}

int Slot::sample(std::span<const float> logits, const tokenizer::Tokenizer& tokenizer) {
  const ScheduledRequest& r = request_->request();
  if (!sampled_any_) {
    result_.prompt_seconds = timer_.seconds();
    timer_.reset();
    sampled_any_ = true;
  }
  // Ids past the tokenizer's vocab (embedding padding) are never sampled.
  auto row = logits.first(tokenizer.vocab_size());
  if (!eog_ids_.empty()) {
    masked_.assign(row.begin(), row.end());
    for (int32_t id : eog_ids_) masked_[id] = -std::numeric_limits<float>::infinity();
    row = masked_;
  }
  const int32_t token = sampler_->sample(row, tokens_);
  ++result_.generated_tokens;

  SampledToken info;
  const bool with_logprobs = r.logprobs >= 0;
  if (with_logprobs) {
    info.token = token;
    info.logprob = token_logprob(row, token).logprob;
    if (r.logprobs > 0) info.top = top_logprobs(row, r.logprobs);
  }
  if (tokenizer.is_eog(token)) {
    finish(StopReason::end_of_generation);
    return 1;
  }
  tokens_.push_back(token);
  request_->emit(stops_->push(decoder_->push(token)), with_logprobs ? &info : nullptr);

  const int64_t capacity = kv_->capacity();
  if (stops_->stopped())
    finish(StopReason::stop_string);
  else if (r.options.max_tokens >= 0 && result_.generated_tokens >= r.options.max_tokens)
    finish(StopReason::max_tokens);
  else if (static_cast<int64_t>(tokens_.size()) >= capacity)
    // Feeding this token would fill the cache and leave no room to sample after it.
    finish(StopReason::context_full);
  return 1;
}

void Slot::finish(StopReason reason, const std::string& error) {
  if (!request_) return;
  if (sampled_any_) result_.decode_seconds = timer_.seconds();
  else result_.prompt_seconds = timer_.seconds();
  if (!stops_->stopped() && error.empty()) {
    std::string rest = stops_->push(decoder_->flush());
    rest += stops_->flush();
    request_->emit(rest, nullptr);
  }
  result_.reason = reason;
  result_.error = error;
  request_->finish(result_);
  request_.reset();
  sampler_.reset();
  decoder_.reset();
  stops_.reset();
  // Only what is in the cache stays (the last sampled token, or an unfinished prompt, was not fed).
  // After a failed step the cache may be half written: forget it all.
  if (!error.empty()) kv_->truncate(0);
  if (static_cast<int64_t>(tokens_.size()) > kv_->length()) tokens_.resize(kv_->length());
}

}  // namespace trit::engine
