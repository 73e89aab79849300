#include "engine/grammar/token_mask.h"

#include <bit>
#include <limits>

namespace trit::engine::grammar {
namespace {

void set_bit(std::vector<uint64_t>& bits, int32_t id) { bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63); }

uint64_t cache_key(GrammarMatcher::StateId state, const PartialChar& p) {
  return (static_cast<uint64_t>(state) << 26) | (static_cast<uint64_t>(p.left) << 24) |
         (static_cast<uint64_t>(p.length) << 21) | p.bits;
}

}  // namespace

void TokenMask::walk(GrammarMatcher& m, uint32_t node_id, GrammarMatcher::StateId state, PartialChar partial,
                     std::vector<uint64_t>& bits) const {
  const tokenizer::TokenTrie::Node& node = trie_->node(node_id);
  // Reaching this node already proved the bytes so far viable (a half character included).
  for (int32_t id : trie_->tokens(node)) set_bit(bits, id);
  for (uint32_t e = node.children_begin; e < node.children_end; ++e) {
    const uint8_t byte = trie_->edge_byte(e);
    if (partial.left == 0 && byte < 0x80) {  // the common case: a whole ASCII character
      const GrammarMatcher::StateId next = m.advance_ascii(state, byte);
      if (next != GrammarMatcher::kDead) walk(m, trie_->edge_node(e), next, partial, bits);
      continue;
    }
    GrammarMatcher::StateId next_state = state;
    PartialChar next_partial = partial;
    if (m.step_byte(byte, next_state, next_partial))
      walk(m, trie_->edge_node(e), next_state, next_partial, bits);
  }
}

const std::vector<uint64_t>& TokenMask::allowed(GrammarMatcher& matcher) {
  const uint64_t key = cache_key(matcher.state(), matcher.partial());
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  if (cache_.size() >= kMaxCached) cache_.clear();
  std::vector<uint64_t> bits((trie_->vocab_size() + 63) / 64, 0);
  walk(matcher, tokenizer::TokenTrie::kRoot, matcher.state(), matcher.partial(), bits);
  if (matcher.can_end())
    for (int32_t id : trie_->end_of_generation()) set_bit(bits, id);
  return cache_.emplace(key, std::move(bits)).first->second;
}

bool TokenMask::apply(GrammarMatcher& matcher, std::span<const float> logits, std::vector<float>& out) {
  const std::vector<uint64_t>& bits = allowed(matcher);
  out.assign(logits.size(), -std::numeric_limits<float>::infinity());
  bool any = false;
  const size_t n = std::min(logits.size(), trie_->vocab_size());
  for (size_t w = 0; w < bits.size(); ++w) {
    for (uint64_t word = bits[w]; word; word &= word - 1) {
      const size_t id = w * 64 + static_cast<size_t>(std::countr_zero(word));
      if (id < n) {
        out[id] = logits[id];
        any = true;
      }
    }
  }
  return any;
}

}  // namespace trit::engine::grammar
