// Drafters for speculative decoding (engine/sequence.h): each proposes the tokens it guesses come
// after a sequence's history; the target model verifies them all in one forward. Kinds
// (GenerateOptions::speculation.mode):
//   ngram  the tokens that followed the last occurrence of the newest tokens (engine/ngram_draft.h)
//   draft  a smaller model of the same vocabulary decoding greedily (engine/draft_model.h)
//   mtp    the model's own multi-token-prediction head, from its final hidden state
//          (engine/mtp_drafter.h)
// A drafter lives with its sequence across generations (a draft model keeps its own memory of the
// history, so a follow-up turn feeds it only what is new).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/generate_options.h"
#include "model/sequence_memory.h"

namespace trit::engine {

// What a draft may be.
struct DraftLimits {
  size_t max_tokens = 0;
  // A drafter that knows how sure it is stops before a token it gives a lower probability.
  float min_probability = 0.0f;
  // Added to a draft model's logits before it picks: the request's logit_bias and its banned ids
  // (-inf), so it does not guess tokens the target will never take.
  std::span<const std::pair<int32_t, float>> bias;
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Up to limits.max_tokens tokens to follow `history` (the prompt and everything sampled, the
  // newest not yet fed to the target, whose memory is `target`); empty when the drafter has no
  // guess.
  virtual std::vector<int32_t> draft(std::span<const int32_t> history, model::SequenceMemory& target,
                                     const DraftLimits& limits) = 0;
  // The width of the final hidden states the target's memory must keep for this drafter
  // (model/hidden_rows.h), 0 for none.
  virtual int64_t hidden_width() const { return 0; }
  // Between the chunks of a prompt: takes in what the target has fed so far (an MTP head reads
  // the hidden states as they come, so that a long prompt's are never all kept at once).
  virtual void observe(std::span<const int32_t> /*history*/, model::SequenceMemory& /*target*/) {}
  // Whether this drafter is the one `options` asks for (else the sequence makes a new one).
  virtual bool is(const SpeculationOptions& options) const = 0;
  // Whether to stop drafting for the rest of a generation once refused at the first token after
  // the longest pause (engine/sequence.cpp): a draft model feeds every token before each try, so a
  // drafter that never agrees would keep paying for that; a lookup costs nothing until it matches.
  virtual bool gives_up() const = 0;
};

// The drafter `options` asks for; null for SpeculationMode::none.
std::unique_ptr<Drafter> make_drafter(const SpeculationOptions& options);

// What a drafter that reads logits drafts from `row` (its first `vocab` entries: the tokens a
// draft may be): the argmax of the row plus limits.bias, or -1 when everything is banned or its
// probability (the softmax) is below limits.min_probability. scratch: for the biased row.
int32_t most_likely_draft(std::span<const float> row, size_t vocab, const DraftLimits& limits, std::vector<float>& scratch);

}  // namespace trit::engine
