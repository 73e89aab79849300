// Byte-level BPE merge step: one pre-token (raw bytes) -> token ids. Every byte starts as its
// byte token; the adjacent pair with the lowest merge rank is merged (leftmost first among equal
// ranks) until no adjacent pair has a merge. A min-heap of candidate pairs over a linked list of
// symbols makes this O(n log n) per piece instead of rescanning all pairs after each merge.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trit::tokenizer {

class BpeMerger {
 public:
  struct Merge {
    int32_t rank;
    int32_t result;  // id of the merged token
  };

  BpeMerger() = default;
  // byte_tokens[b] = id of the one-byte token; merges keyed by (left id, right id).
  BpeMerger(const std::array<int32_t, 256>& byte_tokens, std::unordered_map<uint64_t, Merge> merges);

  // Appends the ids of `piece` (non-empty raw bytes) to out.
  void encode(std::string_view piece, std::vector<int32_t>& out) const;

  static uint64_t key(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }

 private:
  const Merge* find(int32_t left, int32_t right) const {
    auto it = merges_.find(key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }

  std::array<int32_t, 256> byte_tokens_{};
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace trit::tokenizer
