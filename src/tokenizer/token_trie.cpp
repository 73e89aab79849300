#include "tokenizer/token_trie.h"

#include <algorithm>

#include "tokenizer/tokenizer.h"

namespace trit::tokenizer {

TokenTrie::TokenTrie(const Tokenizer& tokenizer) : vocab_size_(tokenizer.vocab_size()) {
  std::vector<std::pair<std::string_view, int32_t>> entries;
  for (int32_t id = 0; id < static_cast<int32_t>(vocab_size_); ++id) {
    if (tokenizer.is_eog(id)) {
      eog_.push_back(id);
      continue;
    }
    const std::string& bytes = tokenizer.token_bytes(id);
    if (tokenizer.is_control(id) || bytes.empty()) continue;
    entries.emplace_back(bytes, id);
  }
  std::sort(entries.begin(), entries.end());
  nodes_.reserve(entries.size() * 2);
  build(entries, 0, entries.size(), 0);
}

// The node for the entries [lo, hi), which share their first `depth` bytes. Those exactly
// `depth` long sort first and end here; the rest are grouped by their next byte.
uint32_t TokenTrie::build(const std::vector<std::pair<std::string_view, int32_t>>& sorted, size_t lo, size_t hi,
                          size_t depth) {
  const auto id = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  nodes_[id].tokens_begin = static_cast<uint32_t>(token_ids_.size());
  while (lo < hi && sorted[lo].first.size() == depth) token_ids_.push_back(sorted[lo++].second);
  nodes_[id].tokens_end = static_cast<uint32_t>(token_ids_.size());

  std::vector<std::pair<size_t, size_t>> groups;  // [begin, end) per next byte
  for (size_t i = lo; i < hi;) {
    size_t j = i;
    while (j < hi && sorted[j].first[depth] == sorted[i].first[depth]) ++j;
    groups.emplace_back(i, j);
    i = j;
  }
  const auto first_edge = static_cast<uint32_t>(edge_bytes_.size());
  edge_bytes_.resize(first_edge + groups.size());
  edge_nodes_.resize(first_edge + groups.size());
  nodes_[id].children_begin = first_edge;
  nodes_[id].children_end = first_edge + static_cast<uint32_t>(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    edge_bytes_[first_edge + g] = static_cast<uint8_t>(sorted[groups[g].first].first[depth]);
    const uint32_t child = build(sorted, groups[g].first, groups[g].second, depth + 1);
    edge_nodes_[first_edge + g] = child;
  }
  return id;
}

const TokenTrie& Tokenizer::token_trie() const {
  std::call_once(trie_->once, [this] { trie_->trie = std::make_unique<TokenTrie>(*this); });
  return *trie_->trie;
}

}  // namespace trit::tokenizer
