// Sequences kept in RAM after their slot moved on to another prompt (trit serve --cache-ram): a
// request whose prompt starts with a kept sequence's tokens takes those positions from here
// instead of computing them again, whichever slot it lands in. Each entry is a copy of a
// sequence's memory sized to its tokens; the least recently used entries go first when the copies
// outgrow the budget. Only memory that can copy a prefix is kept. A KV cache gives any prefix of
// an entry; the hybrid models' recurrent state only the lengths where the entry knows it (its
// whole length and the checkpoints it was copied with: SequenceMemory::rewind_point), so a match
// is the longest such prefix.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <vector>

#include "model/sequence_memory.h"

namespace trit::engine {

class PromptCache {
 public:
  // Makes an empty memory of the model's layout holding `capacity` positions.
  using MakeMemory = std::function<std::unique_ptr<model::SequenceMemory>(int64_t capacity)>;

  PromptCache(size_t budget_bytes, MakeMemory make_memory);

  // Keeps a copy of the first tokens.size() positions of `memory` (which holds these tokens),
  // unless an entry already holds them (or more); an entry they extend is replaced. Returns
  // whether a copy was made (not when the memory cannot copy a prefix or alone exceeds the budget).
  bool keep(std::span<const int32_t> tokens, const model::SequenceMemory& memory);

  struct Match {
    const model::SequenceMemory* memory = nullptr;
    std::span<const int32_t> tokens;  // the entry's tokens (valid until the next keep())
    size_t length = 0;                // leading tokens of the prompt the entry can give (0: none)
  };
  // The entry that can give the longest prefix of `prompt`, marked as used now.
  Match longest_prefix(std::span<const int32_t> prompt);

  size_t bytes() const { return bytes_; }
  size_t entries() const { return entries_.size(); }
  size_t budget() const { return budget_; }

 private:
  struct Entry {
    std::vector<int32_t> tokens;
    std::unique_ptr<model::SequenceMemory> memory;
  };
  void evict_until(size_t bytes_free);

  size_t budget_;
  MakeMemory make_memory_;
  std::list<Entry> entries_;  // most recently used first
  size_t bytes_ = 0;
};

}  // namespace trit::engine
