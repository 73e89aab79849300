// What one generation asks for (limits, sampling, stop strings) and the account of how it went.
// Shared by the single-sequence driver (Conversation: run, chat) and the scheduler (serve).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/sampling.h"

namespace trit::engine {

namespace grammar {
struct Grammar;
}

class DraftModel;
class MtpModel;

// Speculative decoding (engine/sequence.h): drafted tokens verified together in one forward, the
// drafts made by n-gram lookup, a draft model or the model's own MTP head (engine/drafter.h).
enum class SpeculationMode { none, ngram, draft, mtp };
// As --spec spells it.
inline const char* speculation_mode_name(SpeculationMode mode) {
  switch (mode) {
    case SpeculationMode::ngram: return "ngram";
    case SpeculationMode::draft: return "draft";
    case SpeculationMode::mtp: return "mtp";
    case SpeculationMode::none: break;
  }
  return "none";
}
inline constexpr int kMaxDraftTokens = 256;  // the most any setting may draft per forward
struct SpeculationOptions {
  SpeculationMode mode = SpeculationMode::none;
  std::shared_ptr<DraftModel> draft_model;  // mode draft: the model that drafts (engine/draft_model.h)
  std::shared_ptr<MtpModel> mtp_model;      // mode mtp: the model's MTP head (engine/mtp_drafter.h)
  int draft_max = 16;  // most tokens drafted per forward (shrinks after rejections, regrows)
  int draft_min = 0;   // a shorter draft is not verified (0 or 1: any)
  // A draft model or MTP head stops drafting at a token it gives less than this probability
  // (llama.cpp's --draft-p-min); 0: it drafts as far as the length allows.
  float draft_p_min = 0.0f;
};

struct GenerateOptions {
  int64_t max_tokens = -1;  // -1: until the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings
  bool skip_special = true;       // control tokens produce no text
  // Constrained decoding: only text of this grammar is sampled (engine/grammar/). Non-empty
  // grammar_after: the text is free until the model writes that marker ("</think>"), the grammar
  // governs what follows.
  std::shared_ptr<const grammar::Grammar> grammar;
  std::string grammar_after;
  // Reasoning models: at most this many tokens sampled inside <think>...</think>; once they are
  // spent the sequence writes "\n</think>\n\n" itself (forced tokens) and the answer follows.
  // -1: no budget. Needs the vocab's <think> and </think> tokens (without them: no budget).
  int64_t thinking_budget = -1;
  // Code editors' limits (engine/editor_limits.h; llama.cpp's n_indent and t_max_predict_ms):
  int min_indent = 0;             // > 0: a new line indented less than this ends the generation
  double max_decode_seconds = 0;  // > 0: after a newline, generating longer than this ends it
  SpeculationOptions speculation;
};

// cancelled: a client left or the server shut down; failed: the forward step threw (the result's
// error says why).
enum class StopReason { end_of_generation, stop_string, max_tokens, context_full, cancelled, failed };

struct GenerateStats {
  int64_t prompt_tokens = 0;    // tokens of the prompt
  int64_t cached_tokens = 0;    // of those, reused from the sequence's memory
  int64_t prompt_computed = 0;  // of those, fed through the model (prompt_tokens - cached_tokens)
  int64_t generated_tokens = 0; // sampled tokens (an end-of-generation token included)
  double prompt_seconds = 0.0;  // from the start to the first sampled token
  double decode_seconds = 0.0;  // from the first sampled token to the end
  StopReason reason = StopReason::end_of_generation;
  std::string stop_string;      // reason stop_string: which one (APIs report it)
  int64_t drafted_tokens = 0;   // speculative decoding: tokens drafted and verified
  int64_t accepted_tokens = 0;  // of those, the ones the model agreed with (each saved a forward)
  double draft_seconds = 0.0;   // of decode_seconds, the time the drafter took (a draft model's forwards)
  double prompt_tokens_per_second() const { return prompt_seconds > 0 ? prompt_computed / prompt_seconds : 0.0; }
  double decode_tokens_per_second() const { return decode_seconds > 0 ? generated_tokens / decode_seconds : 0.0; }
};

}  // namespace trit::engine
