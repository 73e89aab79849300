// One sequence being generated: its tokens, the model's memory of them, and (while a generation
// runs) the sampler, stream decoder, stop-string filter and limits. This is the ONE generation
// step: `trit run` and `trit chat` (Conversation, one sequence per forward) and `trit serve`
// (Slot, many sequences batched per forward) only decide what to feed when; the bookkeeping is
// here.
//
// tokens() is the prompt and what was sampled after it. memory().length() of them have been fed
// (are in the model's memory); the rest are "unfed". start() keeps the prefix the memory already
// holds and leaves the prompt's tail unfed (prefill, fed in one or many forward calls); after
// that there is always exactly one unfed token, the last sampled one (decode). A driver loops:
//   feed next_input(budget) in a forward call; once a call fed the last unfed token
//   (completes(n) was true) pass that logits row to step(); when step() reports a stop reason,
//   or the driver stops it (cancel, failure), call finish() / fail().
// finish() drops the unfed token, so tokens() then equals the memory and the next start() reuses
// it (chat turns, follow-up requests).
//
// Speculative decoding (GenerateOptions::speculation): in decode, next_input() may return the unfed
// token followed by drafted tokens (guesses at what comes next, engine/drafter.h). The driver
// feeds them all in one forward with logits for every row (verifying() is true) and passes the rows
// to step() in order while verifying() stays true: row i samples the token after draft i - 1, and
// the draft is kept while the sample equals it. The first sample that differs (or the one after the
// last draft) becomes the unfed token, and the memory forgets the drafts it was fed past that point.
// The samples are drawn as without drafts (Sampler::sample), so the output is the same, token for
// token at temperature 0, in distribution above it. A KV cache drops the rejected positions;
// recurrent state (hybrid models) returns to the draft point, its state after the unfed token
// (taken by the verifying forward), and feeds the accepted drafts again with the next input.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/drafter.h"
#include "engine/editor_limits.h"
#include "engine/generate_options.h"
#include "engine/grammar/grammar_constraint.h"
#include "engine/sampling.h"
#include "engine/stop_strings.h"
#include "model/sequence_memory.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "util/timer.h"

namespace trit::engine {

// Refuses a prompt that can never run (trit::Error): empty, not leaving room for one token in a
// context of `context` positions, or holding ids outside the model's vocabulary.
void check_prompt(std::span<const int32_t> prompt, int64_t context, int64_t n_vocab);

class Sequence {
 public:
  Sequence(std::unique_ptr<model::SequenceMemory> memory, const tokenizer::Tokenizer& tokenizer);

  model::SequenceMemory& memory() { return *memory_; }
  const model::SequenceMemory& memory() const { return *memory_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  bool active() const { return active_; }
  // Active and still feeding its prompt (no token sampled yet).
  bool prefilling() const { return active_ && !sampled_any_; }
  const GenerateStats& stats() const { return stats_; }

  // How many leading tokens of `prompt` the memory holds and can resume from (for recurrent
  // memory: the longest checkpoint within the shared prefix).
  size_t cached_prefix(std::span<const int32_t> prompt) const;

  // Between generations: takes the first `length` tokens that `from` (another sequence of the same
  // engine, running or not) holds in its memory, memory rows and tokens, in place of its own, so
  // that the next start() reuses them. False when the memory cannot copy (recurrent state).
  bool copy_prefix(const Sequence& from, size_t length);
  // The same from a memory that holds `tokens` (a prompt cache entry, engine/prompt_cache.h).
  bool copy_prefix(const model::SequenceMemory& from, std::span<const int32_t> tokens, size_t length);
  // The tokens the memory holds (what a prompt cache keeps of this sequence).
  std::span<const int32_t> held_tokens() const {
    return std::span<const int32_t>(tokens_).first(std::min(tokens_.size(), static_cast<size_t>(memory_->length())));
  }

  // Begins a generation after `prompt` (which the driver has checked with check_prompt). Keeps the cached prefix,
  // except that the last prompt token is always fed again (its logits row is needed); when the
  // memory cannot rewind to the prefix it starts from scratch. ban_eog: end-of-generation tokens
  // are never sampled (the server's ignore_eos).
  void start(std::span<const int32_t> prompt, const GenerateOptions& options, bool ban_eog = false);

  // The tokens to feed now: the unfed ones, at most `budget`. For memory that takes checkpoints,
  // a prompt chunk stops before the prompt's last token, and the next call takes the checkpoint.
  std::span<const int32_t> next_input(int64_t budget);
  // Whether feeding `n` tokens now feeds the last unfed one (that row is then passed to step()).
  bool completes(int64_t n) const {
    return memory_->length() + n == static_cast<int64_t>(tokens_.size() + drafts_.size());
  }
  // Drafts are being verified: the input has a logits row per token, and step() takes the next one.
  bool verifying() const { return !drafts_.empty(); }

  struct Step {
    bool sampled = false;             // false only when max_tokens allowed none
    int32_t token = -1;
    std::span<const float> row;       // the logits the token was drawn from (logit_bias applied, eog banned), for logprobs
    std::string text;                 // text that became final (decoder, then stop filter)
    std::optional<StopReason> stop;   // set: the generation ended; call finish(*stop)
  };
  // Samples from the logits row of the last unfed token (n_vocab floats; ids past the tokenizer's
  // vocab, embedding padding, are never sampled; a spent thinking budget writes the tokens that
  // close the think block instead), streams its text and decides whether it ends:
  // end of generation, stop string, max tokens, or a context with no room to feed it.
  Step step(std::span<const float> logits);
  // step() over the rows of the forward that completed the unfed part: the one row, or while drafts
  // are verified one per token fed, in order until verifying() ends. on_step(const Step&) handles
  // each (streams it, finishes the generation at a stop) and returns false to stop stepping.
  template <class OnStep>
  void step_rows(std::span<const float> rows, size_t n_vocab, const OnStep& on_step) {
    for (size_t row = 0; (row + 1) * n_vocab <= rows.size(); ++row) {
      if (!on_step(step(rows.subspan(row * n_vocab, n_vocab))) || !verifying()) return;
    }
  }

  // Ends the generation with `reason`; returns the text still held back (an unfinished character,
  // a partial stop string), empty after a stop string. The memory stays for reuse.
  std::string finish(StopReason reason);
  // Ends the generation after a failed forward call: the memory may be half written, so it is
  // forgotten along with the tokens.
  void fail(StopReason reason);
  // Forgets everything (a new conversation).
  void clear();

 private:
  void end(StopReason reason);  // records the times and reason, drops the per-generation state
  void start_thinking_budget(std::span<const int32_t> prompt, int64_t budget);
  void track_thinking(int32_t sampled);  // counts thinking tokens; forces the close when spent
  void drop_unfed();
  Step sample_next(std::span<const float> logits);  // step() without the drafts' bookkeeping
  void draft(int64_t budget);                       // proposes drafts_ (speculation_), into input_
  void settle_draft(const Step& step, bool pushed);  // after a verified row: keep the draft or end
  void forget_fed_past(int64_t length);              // the memory back to at most `length` positions

  std::unique_ptr<model::SequenceMemory> memory_;
  const tokenizer::Tokenizer* tokenizer_;
  std::vector<int32_t> tokens_;

  // Per generation.
  bool active_ = false;
  bool sampled_any_ = false;
  int64_t max_tokens_ = -1;
  int64_t checkpoint_at_ = -1;  // the memory length to checkpoint at, -1 when none is due
  std::optional<Sampler> sampler_;
  std::optional<tokenizer::StreamDecoder> decoder_;
  std::optional<StopStringFilter> stops_;
  std::optional<EditorLimits> limits_;
  GenerateStats stats_;
  Timer timer_;
  // Added to the logits row before sampling: the request's logit_bias, and -inf for the
  // end-of-generation ids under ban_eog.
  std::vector<std::pair<int32_t, float>> bias_;
  std::vector<float> masked_;  // the logits row with bias_ applied
  // Thinking budget (GenerateOptions::thinking_budget): tokens to write instead of sampling
  // (forced_[forced_at_..]), and the count of thinking tokens while inside <think>.
  int64_t think_budget_ = -1;
  int32_t think_open_ = -1, think_close_ = -1;
  bool thinking_ = false;
  int64_t think_tokens_ = 0;
  std::vector<int32_t> forced_;
  size_t forced_at_ = 0;
  std::optional<grammar::GrammarConstraint> grammar_;  // options.grammar
  std::vector<float> grammar_row_;  // the row (after bias_) with what the grammar refuses at -inf
  // Speculative decoding: drafts_ follow the unfed token in input_ (what next_input() returned);
  // draft_at_ is the draft the next step() verifies; draft_limit_ adapts the draft length.
  SpeculationOptions speculation_;
  std::unique_ptr<Drafter> drafter_;  // kept across generations (a draft model's memory of tokens_)
  std::vector<int32_t> input_, drafts_;
  size_t draft_at_ = 0;
  int64_t draft_limit_ = 0;
  // Decode steps left without drafting (-1: none in this generation), and the next pause.
  int64_t draft_pause_ = 0, draft_backoff_ = 0;
  static constexpr int64_t kMaxDraftPause = 64;
};

}  // namespace trit::engine
