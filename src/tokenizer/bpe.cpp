#include "tokenizer/bpe.h"

#include <algorithm>

namespace trit::tokenizer {

BpeMerger::BpeMerger(const std::array<int32_t, 256>& byte_tokens, std::unordered_map<uint64_t, Merge> merges)
    : byte_tokens_(byte_tokens), merges_(std::move(merges)) {}

namespace {

struct Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  bool live;
};

// A candidate merge of symbol `pos` with its right neighbour. Ordered for a min-heap on
// (rank, pos): lowest rank first, leftmost first among equal ranks (Hugging Face's order).
struct Candidate {
  int32_t rank;
  int32_t pos;
  bool operator>(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

}  // namespace

void BpeMerger::encode(std::string_view piece, std::vector<int32_t>& out) const {
  const size_t n = piece.size();
  if (n == 1) {
    out.push_back(byte_tokens_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  // Small per-thread buffers: pieces are short and this runs once per pre-token.
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.resize(n);
  heap.clear();
  for (size_t i = 0; i < n; ++i)
    symbols[i] = {byte_tokens_[static_cast<unsigned char>(piece[i])], int32_t(i) - 1,
                  i + 1 < n ? int32_t(i + 1) : -1, true};

  auto push = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0) return;
    if (const Merge* m = find(symbols[pos].id, symbols[next].id)) {
      heap.push_back({m->rank, pos});
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) push(int32_t(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[top.pos];
    if (!left.live || left.next < 0) continue;
    // Stale when either side changed since the candidate was pushed: the pair now there has
    // another rank (ranks are unique per pair, so an equal rank means the same pair).
    const Merge* m = find(left.id, symbols[left.next].id);
    if (!m || m->rank != top.rank) continue;
    Symbol& right = symbols[left.next];
    left.id = m->result;
    right.live = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) push(left.prev);
    push(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace trit::tokenizer
