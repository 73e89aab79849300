// Where a text stands in a grammar: the set of parse stacks of a nondeterministic recursive
// descent (llama.cpp's approach), advanced one code point at a time.
//
// A stack holds the positions still to match, innermost on top; its top is always a character
// class (rule references are expanded into every alternative as soon as they reach the top, so
// one stack becomes several). Reading a code point keeps the stacks whose top class matches it,
// pops that class and expands again. The text may end where some stack is empty.
//
// Storage, for speed: stacks are hash-consed linked frames (a frame is a position and the id of
// the frame below it), so equal stacks share one id; sets of stacks are interned too, so a state
// is one integer and the transition (state, code point) -> state is computed once and cached.
// Masking the vocabulary (grammar_mask.h) walks a token trie through these cached transitions,
// and states repeat a lot (every character inside a JSON string leads to the same state).
// Bytes may arrive split inside a UTF-8 character (tokens do that): the matcher holds the
// unfinished character until its last byte.
//
// One matcher per generation; not thread-safe. The Grammar is shared.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/grammar/grammar.h"

namespace trit::engine::grammar {

// A half-read UTF-8 character: `left` bytes still to come, `bits` so far, `length` in all.
struct PartialChar {
  int left = 0;
  int length = 0;
  char32_t bits = 0;
  // The code points this prefix can still become (empty range when it cannot be valid).
  char32_t lowest() const;
  char32_t highest() const;
};

class GrammarMatcher {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = 0;  // no stack left: the text can never match

  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  // Back to the start of the root rule (a new generation).
  void reset();
  // Reads bytes; returns false (and keeps the state as it was) when they cannot continue a text
  // of the grammar.
  bool accept(std::string_view bytes);
  // Whether `c` may come next.
  bool allows(char32_t c);
  // Whether the text read so far is a whole text of the grammar.
  bool can_end() const { return partial_.left == 0 && ends_[state_]; }

  StateId state() const { return state_; }
  const PartialChar& partial() const { return partial_; }

  // The state after reading `c` in `from` (kDead when it cannot), cached.
  StateId advance(StateId from, char32_t c);
  // advance() for an ASCII byte, with the cached case inline (the mask walk's hot path).
  StateId advance_ascii(StateId from, unsigned char c) {
    const StateId cached = ascii_[from][c];
    return cached >= 0 ? cached : advance(from, c);
  }
  // Whether a code point in [lo, hi] may come next in `state`.
  bool allows_any(StateId state, char32_t lo, char32_t hi) const;
  bool may_end(StateId state) const { return ends_[state]; }
  // Reads one byte from (state, partial) in place; false when no text of the grammar continues
  // so (a half character is kept only while some stack could still take the whole one).
  bool step_byte(unsigned char b, StateId& state, PartialChar& partial);

 private:
  struct Frame {
    uint32_t pos;    // index into grammar.elements: what this frame still has to match
    int32_t parent;  // the frame below, -1 for none
  };
  static constexpr int32_t kEmptyStack = -1;

  int32_t push(uint32_t pos, int32_t parent);
  int32_t after(uint32_t pos, int32_t parent);  // the stack once the element at pos is matched
  void expand(int32_t stack, std::vector<int32_t>& out);
  void expand_rule(uint32_t rule, int32_t continuation, std::vector<int32_t>& out);
  StateId intern(std::vector<int32_t>& stacks);
  StateId compute(StateId from, char32_t c);
  StateId compute_matched(StateId from, uint64_t matched);  // from the stacks whose bits are set

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Frame> frames_;
  std::unordered_map<uint64_t, int32_t> frame_ids_;
  std::vector<uint32_t> visit_mark_;  // per frame: the expansion that last saw it
  uint32_t visit_epoch_ = 0;

  struct VectorHash {
    size_t operator()(const std::vector<int32_t>& v) const;
  };
  std::vector<std::vector<int32_t>> states_;  // state -> its stacks (sorted)
  std::unordered_map<std::vector<int32_t>, StateId, VectorHash> state_ids_;
  std::vector<bool> ends_;                          // state -> holds the empty stack
  std::vector<std::array<StateId, 128>> ascii_;     // state -> next state per ASCII byte, -1 unknown
  // Code points >= 128 are too many to cache one by one: the next state depends only on which of
  // the state's stacks take the character, so it is cached per state by that set (a bit per
  // stack; states with more than 64 stacks are computed each time).
  std::vector<std::vector<std::pair<uint64_t, StateId>>> by_match_;

  StateId initial_ = kDead;
  StateId state_ = kDead;
  PartialChar partial_;
};

}  // namespace trit::engine::grammar
