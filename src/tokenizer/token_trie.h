// Every token's bytes in one trie, for masking a vocabulary against a grammar: a walk down the
// trie reads each shared prefix once, and a prefix the grammar refuses drops all the tokens
// below it at once.
//
// Layout: nodes in depth-first order; node i's children are the edges
// [children_begin, children_end) (sorted by byte), the tokens whose bytes end at node i are
// token_ids[tokens_begin, tokens_end). Control tokens (<|im_start|>, ...) and tokens that decode
// to nothing are left out; end-of-generation tokens are listed apart (they carry no bytes: a
// grammar allows them only where its text may end).
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace trit::tokenizer {

class Tokenizer;

class TokenTrie {
 public:
  struct Node {
    uint32_t tokens_begin = 0, tokens_end = 0;
    uint32_t children_begin = 0, children_end = 0;
  };

  explicit TokenTrie(const Tokenizer& tokenizer);

  const Node& node(uint32_t i) const { return nodes_[i]; }
  static constexpr uint32_t kRoot = 0;
  std::span<const int32_t> tokens(const Node& n) const {
    return {token_ids_.data() + n.tokens_begin, n.tokens_end - n.tokens_begin};
  }
  uint8_t edge_byte(uint32_t edge) const { return edge_bytes_[edge]; }
  uint32_t edge_node(uint32_t edge) const { return edge_nodes_[edge]; }

  const std::vector<int32_t>& end_of_generation() const { return eog_; }
  size_t vocab_size() const { return vocab_size_; }
  size_t node_count() const { return nodes_.size(); }

 private:
  uint32_t build(const std::vector<std::pair<std::string_view, int32_t>>& sorted, size_t lo, size_t hi, size_t depth);

  std::vector<Node> nodes_;
  std::vector<uint8_t> edge_bytes_;
  std::vector<uint32_t> edge_nodes_;
  std::vector<int32_t> token_ids_;
  std::vector<int32_t> eog_;
  size_t vocab_size_ = 0;
};

}  // namespace trit::tokenizer
