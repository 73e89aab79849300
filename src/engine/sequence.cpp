#include "engine/sequence.h"

#include <algorithm>
#include <limits>

#include "util/error.h"

namespace trit::engine {

void check_prompt(std::span<const int32_t> prompt, int64_t context, int64_t n_vocab) {
  if (prompt.empty()) fail("the prompt is empty");
  if (static_cast<int64_t>(prompt.size()) >= context)
    fail("the prompt is ", prompt.size(), " tokens but the context holds ", context,
         " (the prompt and the answer must fit in it: raise -c or shorten the prompt)");
  for (int32_t t : prompt)
    if (t < 0 || t >= n_vocab) fail("prompt token id ", t, " is outside the vocabulary (", n_vocab, ")");
}

Sequence::Sequence(std::unique_ptr<model::SequenceMemory> memory, const tokenizer::Tokenizer& tokenizer)
    : memory_(std::move(memory)), tokenizer_(&tokenizer) {}

size_t Sequence::cached_prefix(std::span<const int32_t> prompt) const {
  const size_t cached = std::min(tokens_.size(), static_cast<size_t>(memory_->length()));
  size_t n = 0;
  while (n < cached && n < prompt.size() && tokens_[n] == prompt[n]) ++n;
  return static_cast<size_t>(memory_->rewind_point(static_cast<int64_t>(n)));
}

void Sequence::start(std::span<const int32_t> prompt, const GenerateOptions& options, bool ban_eog) {
  size_t common = cached_prefix(prompt);
  if (common == prompt.size())  // the last prompt token is fed again for its logits
    common = static_cast<size_t>(memory_->rewind_point(static_cast<int64_t>(common) - 1));
  if (!memory_->rewind(static_cast<int64_t>(common))) {
    memory_->clear();
    common = 0;
  }
  tokens_.assign(prompt.begin(), prompt.end());
  // Recurrent memory is checkpointed just before the prompt's last token: the position that the
  // same prompt again, or a follow-up that re-renders what came after it, can resume from.
  checkpoint_at_ = memory_->takes_checkpoints() ? static_cast<int64_t>(prompt.size()) - 1 : -1;

  active_ = true;
  sampled_any_ = false;
  max_tokens_ = options.max_tokens;
  sampler_.emplace(options.sampling);
  decoder_.emplace(*tokenizer_, options.skip_special);
  stops_.emplace(options.stop);
  stats_ = GenerateStats{};
  stats_.prompt_tokens = static_cast<int64_t>(prompt.size());
  stats_.cached_tokens = static_cast<int64_t>(common);
  stats_.prompt_computed = stats_.prompt_tokens - stats_.cached_tokens;
  banned_.clear();
  if (ban_eog)
    for (int32_t id = 0; id < static_cast<int32_t>(tokenizer_->vocab_size()); ++id)
      if (tokenizer_->is_eog(id)) banned_.push_back(id);
  grammar_.reset();
  if (options.grammar) grammar_.emplace(options.grammar, *tokenizer_, options.grammar_after);
  timer_.reset();
}

std::span<const int32_t> Sequence::next_input(int64_t budget) {
  const int64_t fed = memory_->length();
  int64_t n = std::min<int64_t>(budget, static_cast<int64_t>(tokens_.size()) - fed);
  if (checkpoint_at_ > 0 && fed < checkpoint_at_) {
    n = std::min(n, checkpoint_at_ - fed);  // stop the chunk at the checkpoint
  } else if (checkpoint_at_ > 0 && fed == checkpoint_at_) {
    memory_->checkpoint();
    checkpoint_at_ = -1;
  }
  return std::span<const int32_t>(tokens_.data() + fed, static_cast<size_t>(std::max<int64_t>(n, 0)));
}

Sequence::Step Sequence::step(std::span<const float> logits) {
  if (!sampled_any_) {
    stats_.prompt_seconds = timer_.seconds();
    timer_.reset();
    sampled_any_ = true;
  }
  Step out;
  // Only reachable with max_tokens 0: the prompt was fed, nothing may be sampled.
  if (max_tokens_ >= 0 && stats_.generated_tokens >= max_tokens_) {
    out.stop = StopReason::max_tokens;
    return out;
  }
  out.row = logits.first(tokenizer_->vocab_size());
  if (grammar_ && grammar_->active()) {
    if (!grammar_->apply(out.row, banned_, masked_)) {  // the grammar is complete and ending is banned
      out.stop = StopReason::end_of_generation;
      return out;
    }
    out.row = masked_;
  } else if (!banned_.empty()) {
    masked_.assign(out.row.begin(), out.row.end());
    for (int32_t id : banned_) masked_[id] = -std::numeric_limits<float>::infinity();
    out.row = masked_;
  }
  out.token = sampler_->sample(out.row, tokens_);
  out.sampled = true;
  ++stats_.generated_tokens;
  if (tokenizer_->is_eog(out.token)) {
    out.stop = StopReason::end_of_generation;
    return out;
  }
  tokens_.push_back(out.token);
  if (grammar_) grammar_->accept(out.token);
  out.text = stops_->push(decoder_->push(out.token));
  if (stops_->stopped()) {
    out.stop = StopReason::stop_string;
    stats_.stop_string = stops_->matched();
  }
  else if (max_tokens_ >= 0 && stats_.generated_tokens >= max_tokens_)
    out.stop = StopReason::max_tokens;
  else if (static_cast<int64_t>(tokens_.size()) >= memory_->capacity())
    // Feeding this token would fill the memory and leave no room to sample after it.
    out.stop = StopReason::context_full;
  return out;
}

std::string Sequence::finish(StopReason reason) {
  if (!active_) return "";
  std::string rest;
  if (!stops_->stopped()) {
    rest = stops_->push(decoder_->flush());
    rest += stops_->flush();
  }
  end(reason);
  return rest;
}

void Sequence::fail(StopReason reason) {
  if (!active_) return;
  end(reason);
  clear();
}

void Sequence::end(StopReason reason) {
  if (sampled_any_) stats_.decode_seconds = timer_.seconds();
  else stats_.prompt_seconds = timer_.seconds();
  stats_.reason = reason;
  active_ = false;
  sampler_.reset();
  decoder_.reset();
  stops_.reset();
  grammar_.reset();
  drop_unfed();
}

void Sequence::clear() {
  memory_->clear();
  tokens_.clear();
  active_ = false;
}

void Sequence::drop_unfed() {
  // Only what is in the memory stays (the last sampled token, or an unfinished prompt, was not fed).
  if (static_cast<int64_t>(tokens_.size()) > memory_->length()) tokens_.resize(memory_->length());
}

}  // namespace trit::engine
