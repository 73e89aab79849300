#include "engine/prompt_cache.h"

#include <algorithm>

namespace trit::engine {
namespace {

size_t shared_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.begin() + static_cast<long>(std::min(a.size(), b.size())), b.begin()).first -
                             a.begin());
}

}  // namespace

PromptCache::PromptCache(size_t budget_bytes, MakeMemory make_memory)
    : budget_(budget_bytes), make_memory_(std::move(make_memory)) {}

bool PromptCache::keep(std::span<const int32_t> tokens, const model::SequenceMemory& memory) {
  if (tokens.empty() || !memory.copies_prefix() || static_cast<int64_t>(tokens.size()) > memory.length()) return false;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const size_t shared = shared_prefix(it->tokens, tokens);
    if (shared == tokens.size() && it->memory->rewind_point(static_cast<int64_t>(shared)) == static_cast<int64_t>(shared)) {
      // already held (or more, with these as a prefix it can give): just used again
      entries_.splice(entries_.begin(), entries_, it);
      return false;
    }
    if (shared == it->tokens.size()) {  // these tokens extend the entry: it goes
      bytes_ -= it->memory->bytes();
      entries_.erase(it);
      break;
    }
  }
  std::unique_ptr<model::SequenceMemory> copy = make_memory_(static_cast<int64_t>(tokens.size()));
  if (copy->bytes() > budget_ || !copy->copy_prefix(memory, static_cast<int64_t>(tokens.size()))) return false;
  if (copy->bytes() > budget_) return false;  // with the checkpoints it took along
  evict_until(copy->bytes());
  bytes_ += copy->bytes();
  entries_.push_front({std::vector<int32_t>(tokens.begin(), tokens.end()), std::move(copy)});
  return true;
}

PromptCache::Match PromptCache::longest_prefix(std::span<const int32_t> prompt) {
  auto best = entries_.end();
  size_t best_length = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const size_t shared = shared_prefix(it->tokens, prompt);
    const size_t usable = static_cast<size_t>(it->memory->rewind_point(static_cast<int64_t>(shared)));
    if (usable > best_length) best = it, best_length = usable;
  }
  if (best == entries_.end()) return {};
  entries_.splice(entries_.begin(), entries_, best);
  return {best->memory.get(), best->tokens, best_length};
}

void PromptCache::evict_until(size_t bytes_free) {
  while (!entries_.empty() && bytes_ + bytes_free > budget_) {
    bytes_ -= entries_.back().memory->bytes();
    entries_.pop_back();
  }
}

}  // namespace trit::engine
