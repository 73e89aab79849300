// Which tokens of the vocabulary a grammar allows next: a bit per token id.
//
// The walk goes down the token trie (tokenizer/token_trie.h) carrying the matcher's state
// through each byte (GrammarMatcher::step_byte, cached transitions); a byte the grammar refuses
// prunes the whole subtree below it. A token is allowed when its bytes keep some parse alive,
// a token ending inside a UTF-8 character when the whole character still could. End-of-generation
// tokens are allowed exactly where the grammar's text may end; control tokens never are.
//
// Masks are cached per matcher state (a state is an interned set of parse stacks, so e.g. every
// position inside a JSON string shares one): after the first visit a state costs a lookup.
#pragma once
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/grammar/grammar_matcher.h"
#include "tokenizer/token_trie.h"

namespace trit::engine::grammar {

class TokenMask {
 public:
  explicit TokenMask(const tokenizer::TokenTrie& trie) : trie_(&trie) {}

  // Bit id % 64 of word id / 64 is set when token id may come next.
  const std::vector<uint64_t>& allowed(GrammarMatcher& matcher);

  // Copies `logits` into `out` with every token the grammar refuses at -inf.
  // Returns false when the grammar allows no token at all.
  bool apply(GrammarMatcher& matcher, std::span<const float> logits, std::vector<float>& out);

 private:
  void walk(GrammarMatcher& m, uint32_t node, GrammarMatcher::StateId state, PartialChar partial,
            std::vector<uint64_t>& bits) const;

  const tokenizer::TokenTrie* trie_;
  static constexpr size_t kMaxCached = 64;  // masks are vocab/8 bytes each (19 KB for Qwen3)
  std::unordered_map<uint64_t, std::vector<uint64_t>> cache_;
};

}  // namespace trit::engine::grammar
