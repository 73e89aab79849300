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

bool Sequence::copy_prefix(const Sequence& from, size_t length) { return copy_prefix(*from.memory_, from.tokens_, length); }

bool Sequence::copy_prefix(const model::SequenceMemory& from, std::span<const int32_t> tokens, size_t length) {
  if (active_ || length > tokens.size() || static_cast<int64_t>(length) > from.length()) return false;
  if (!memory_->copy_prefix(from, static_cast<int64_t>(length))) return false;
  tokens_.assign(tokens.begin(), tokens.begin() + static_cast<long>(length));
  return true;
}

void Sequence::start(std::span<const int32_t> prompt, const GenerateOptions& options, bool ban_eog) {
  if (options.speculation.mode == SpeculationMode::none) drafter_.reset();
  else if (!drafter_ || !drafter_->is(options.speculation)) drafter_ = make_drafter(options.speculation);
  // An MTP head drafts from the final hidden states of what the memory is fed.
  const int64_t hidden_width = drafter_ ? drafter_->hidden_width() : 0;
  if (memory_->hidden_rows().width() != hidden_width) memory_->hidden_rows().keep(hidden_width);
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
  limits_.emplace(options.min_indent, options.max_decode_seconds);
  stats_ = GenerateStats{};
  stats_.prompt_tokens = static_cast<int64_t>(prompt.size());
  stats_.cached_tokens = static_cast<int64_t>(common);
  stats_.prompt_computed = stats_.prompt_tokens - stats_.cached_tokens;
  const float ban = -std::numeric_limits<float>::infinity();
  const auto n_vocab = static_cast<int32_t>(tokenizer_->vocab_size());
  bias_.clear();
  for (auto [id, add] : options.sampling.logit_bias)
    if (id >= 0 && id < n_vocab) bias_.emplace_back(id, add <= -100.0f ? ban : add);
  if (ban_eog)
    for (int32_t id = 0; id < n_vocab; ++id)
      if (tokenizer_->is_eog(id)) bias_.emplace_back(id, ban);
  start_thinking_budget(prompt, options.thinking_budget);
  grammar_.reset();
  if (options.grammar) grammar_.emplace(options.grammar, *tokenizer_, options.grammar_after);
  speculation_ = options.speculation;
  draft_limit_ = 1;  // grows as drafts are taken whole (settle_draft)
  draft_pause_ = draft_backoff_ = 0;
  drafts_.clear();
  draft_at_ = 0;
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
  if (n == 1 && sampled_any_ && speculation_.mode != SpeculationMode::none) {
    draft(budget);
    if (!drafts_.empty()) return input_;
  } else if (drafter_ && !sampled_any_ && fed > 0 && n > 0) {
    drafter_->observe(tokens_, *memory_);  // before the next prompt chunk
  }
  return std::span<const int32_t>(tokens_.data() + fed, static_cast<size_t>(std::max<int64_t>(n, 0)));
}

void Sequence::draft(int64_t budget) {
  drafts_.clear();
  draft_at_ = 0;
  // Not over forced tokens (the thinking budget's close decides those, not the model).
  if (forced_at_ < forced_.size()) return;
  if (draft_pause_ > 0) {
    --draft_pause_;
    return;
  }
  if (draft_pause_ < 0) return;  // given up for this generation
  // Room for the drafts in the batch, the context (the memory takes them all, and a sample after the
  // last) and the token limit (each accepted draft is a generated token, and so is the sample after).
  int64_t most = std::max<int64_t>(draft_limit_, speculation_.draft_min);
  most = std::min<int64_t>({most, speculation_.draft_max, budget - 1});
  most = std::min<int64_t>(most, memory_->capacity() - static_cast<int64_t>(tokens_.size()) - 1);
  if (max_tokens_ >= 0) most = std::min<int64_t>(most, max_tokens_ - stats_.generated_tokens - 1);
  if (most < std::max(1, speculation_.draft_min)) return;
  const Timer drafting;
  drafts_ = drafter_->draft(tokens_, *memory_, DraftLimits{static_cast<size_t>(most), speculation_.draft_p_min, bias_});
  stats_.draft_seconds += drafting.seconds();
  if (static_cast<int64_t>(drafts_.size()) < speculation_.draft_min) drafts_.clear();
  if (drafts_.empty()) return;
  input_.assign(1, tokens_.back());
  input_.insert(input_.end(), drafts_.begin(), drafts_.end());
  stats_.drafted_tokens += static_cast<int64_t>(drafts_.size());
  memory_->keep_draft_point_after_next_token();  // after input_[0], which is always kept
}

void Sequence::forget_fed_past(int64_t length) {
  length = std::min(length, memory_->length());
  // A KV cache drops the positions; recurrent state returns to the draft point taken just before
  // the drafts were fed, and the accepted drafts after it are unfed again (the next input feeds
  // them anew).
  // (A generation that ends right there keeps only the memory's part of tokens(), as finish() says.)
  if (memory_->rewind(length)) return;
  if (!memory_->rewind(memory_->rewind_point(length)))  // rewind_point() promises it can
    trit::fail("the sequence memory cannot return to ", memory_->rewind_point(length), " positions");
}

void Sequence::settle_draft(const Step& step, bool pushed) {
  const bool accepted = pushed && draft_at_ < drafts_.size() && step.token == drafts_[draft_at_];
  if (accepted) {
    ++draft_at_;
    ++stats_.accepted_tokens;
    if (!step.stop) return;  // the next row verifies the next draft, or samples after the last
  }
  // Verification ends here. The memory keeps what tokens_ holds but the newest sample (unfed, as
  // after any step) and forgets the drafts fed past it.
  forget_fed_past(static_cast<int64_t>(tokens_.size()) - (pushed ? 1 : 0));
  // Adaptive length, as a poor drafter must cost little: each token of a verification costs a
  // good part of a decode step (the matmuls of a few tokens are compute-bound: on the 4b, 2 tokens
  // take 1.4x the time of one). The length starts at 1 and doubles when a draft is taken whole (up
  // to draft_max); a rejection cuts it to what this draft got right (at least 1); a draft refused
  // from its first token pauses drafting for 1, 2, 4 ... 64 steps, until one is taken again; a
  // drafter that gives_up() is refused once more after the 64 and stops for this generation
  // (draft_pause_ -1). A draft model that never agrees then costs its tries and feeding it the
  // first ~130 tokens.
  draft_limit_ = draft_at_ == drafts_.size() ? std::min<int64_t>(2 * draft_limit_, speculation_.draft_max)
                                             : std::max<int64_t>(static_cast<int64_t>(draft_at_), 1);
  const bool give_up = draft_at_ == 0 && draft_backoff_ == kMaxDraftPause && drafter_->gives_up();
  draft_backoff_ = draft_at_ == 0 ? std::min<int64_t>(std::max<int64_t>(2 * draft_backoff_, 1), kMaxDraftPause) : 0;
  draft_pause_ = give_up ? -1 : draft_backoff_;
  drafts_.clear();
  draft_at_ = 0;
}

Sequence::Step Sequence::step(std::span<const float> logits) {
  const size_t before = tokens_.size();
  Step out = sample_next(logits);
  if (!drafts_.empty()) settle_draft(out, tokens_.size() > before);
  return out;
}

Sequence::Step Sequence::sample_next(std::span<const float> logits) {
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
  if (!bias_.empty()) {
    masked_.assign(out.row.begin(), out.row.end());
    for (auto [id, add] : bias_) masked_[id] += add;
    out.row = masked_;
  }
  if (grammar_ && grammar_->active()) {
    if (!grammar_->apply(out.row, grammar_row_)) {  // e.g. the grammar is complete and ending is banned
      out.stop = StopReason::end_of_generation;
      return out;
    }
    out.row = grammar_row_;
  }
  const bool forced = forced_at_ < forced_.size();
  const int32_t draft = draft_at_ < drafts_.size() ? drafts_[draft_at_] : -1;
  out.token = forced ? forced_[forced_at_++] : sampler_->sample(out.row, tokens_, draft);
  if (!forced) track_thinking(out.token);
  out.sampled = true;
  ++stats_.generated_tokens;
  if (tokenizer_->is_eog(out.token)) {
    out.stop = StopReason::end_of_generation;
    return out;
  }
  tokens_.push_back(out.token);
  if (grammar_) grammar_->accept(out.token);
  std::string piece = decoder_->push(out.token);
  if (limits_->active()) piece = limits_->push(std::move(piece), timer_.seconds());
  out.text = stops_->push(piece);
  if (stops_->stopped()) {
    out.stop = StopReason::stop_string;
    stats_.stop_string = stops_->matched();
  }
  else if ((max_tokens_ >= 0 && stats_.generated_tokens >= max_tokens_) || limits_->stopped())
    out.stop = StopReason::max_tokens;
  else if (static_cast<int64_t>(tokens_.size()) >= memory_->capacity())
    // Feeding this token would fill the memory and leave no room to sample after it.
    out.stop = StopReason::context_full;
  return out;
}

void Sequence::start_thinking_budget(std::span<const int32_t> prompt, int64_t budget) {
  forced_.clear();
  forced_at_ = 0;
  thinking_ = false;
  think_tokens_ = 0;
  think_budget_ = -1;
  if (budget < 0) return;
  const auto open = tokenizer_->find_token("<think>"), close = tokenizer_->find_token("</think>");
  if (!open || !close) return;
  think_budget_ = budget;
  think_open_ = *open;
  think_close_ = *close;
  // A prompt whose last think tag is an open one (templates that force thinking) starts inside.
  for (auto it = prompt.rbegin(); it != prompt.rend(); ++it)
    if (*it == think_open_ || *it == think_close_) {
      thinking_ = *it == think_open_;
      break;
    }
  track_thinking(-1);
}

void Sequence::track_thinking(int32_t sampled) {
  if (think_budget_ < 0) return;
  if (sampled == think_open_) {
    thinking_ = true;
    think_tokens_ = 0;
  } else if (sampled == think_close_) {
    thinking_ = false;  // closed by the model itself
  } else if (thinking_ && sampled >= 0) {
    ++think_tokens_;
  }
  if (thinking_ && think_tokens_ >= think_budget_) {
    forced_ = tokenizer_->encode("\n</think>\n\n", true);
    forced_at_ = 0;
    thinking_ = false;
  }
}

std::string Sequence::finish(StopReason reason) {
  if (!active_) return "";
  std::string rest;
  if (!stops_->stopped() && !limits_->stopped()) {
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
  if (!drafts_.empty()) {
    // Stopped by the driver amid a verification, after a step that took a draft: as after any step,
    // that newest token counts as unfed (drop_unfed() below drops it), and so do the drafts after it.
    drafts_.clear();
    forget_fed_past(static_cast<int64_t>(tokens_.size()) - 1);
  }
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
