// A grammar applied to one generation: masks each logits row to the tokens the grammar allows
// and advances with each sampled token. With `start_after` (e.g. "</think>") the text is free
// until the model has written that marker, and the grammar governs what follows it.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/grammar/grammar.h"
#include "engine/grammar/grammar_matcher.h"
#include "engine/grammar/token_mask.h"
#include "tokenizer/tokenizer.h"

namespace trit::engine::grammar {

class GrammarConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> grammar, const tokenizer::Tokenizer& tokenizer,
                    std::string start_after = {});

  bool active() const { return active_; }
  // Copies `logits` into `out` with refused tokens at -inf. Returns false when no token is left
  // with a finite logit (e.g. the grammar is complete but ending is banned: -inf in `logits`).
  bool apply(std::span<const float> logits, std::vector<float>& out);
  // Advances past a sampled token (not end-of-generation).
  void accept(int32_t token);

 private:
  const tokenizer::Tokenizer* tokenizer_;
  GrammarMatcher matcher_;
  TokenMask mask_;
  std::string start_after_;
  std::string recent_;  // inactive: the last bytes written, to spot start_after
  bool active_;
};

}  // namespace trit::engine::grammar
