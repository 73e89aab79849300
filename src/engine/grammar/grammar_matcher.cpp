#include "engine/grammar/grammar_matcher.h"

#include <algorithm>

namespace trit::engine::grammar {

char32_t PartialChar::lowest() const {
  const char32_t lo = bits << (6 * left);
  const char32_t min = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;  // shortest form only
  return std::max(lo, min);
}

char32_t PartialChar::highest() const {
  const char32_t hi = (bits << (6 * left)) | ((char32_t{1} << (6 * left)) - 1);
  return std::min<char32_t>(hi, 0x10FFFF);
}

size_t GrammarMatcher::VectorHash::operator()(const std::vector<int32_t>& v) const {
  size_t h = v.size();
  for (int32_t x : v) h = h * 0x9E3779B97F4A7C15ull + static_cast<uint32_t>(x);
  return h;
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {
  std::vector<int32_t> none;
  intern(none);  // state 0: dead
  std::vector<int32_t> stacks;
  ++visit_epoch_;
  expand_rule(grammar_->root, kEmptyStack, stacks);
  initial_ = intern(stacks);
  reset();
}

void GrammarMatcher::reset() {
  state_ = initial_;
  partial_ = PartialChar{};
}

int32_t GrammarMatcher::push(uint32_t pos, int32_t parent) {
  const uint64_t key = (uint64_t{pos} << 32) | static_cast<uint32_t>(parent + 1);
  auto [it, fresh] = frame_ids_.try_emplace(key, static_cast<int32_t>(frames_.size()));
  if (fresh) {
    frames_.push_back(Frame{pos, parent});
    visit_mark_.push_back(0);
  }
  return it->second;
}

int32_t GrammarMatcher::after(uint32_t pos, int32_t parent) {
  if (grammar_->elements[pos + 1].kind == Element::end) return parent;
  return push(pos + 1, parent);
}

void GrammarMatcher::expand(int32_t stack, std::vector<int32_t>& out) {
  if (stack == kEmptyStack) {
    out.push_back(kEmptyStack);
    return;
  }
  if (visit_mark_[stack] == visit_epoch_) return;  // already expanded in this step
  visit_mark_[stack] = visit_epoch_;
  const Frame f = frames_[stack];
  const Element& e = grammar_->elements[f.pos];
  if (e.kind == Element::char_class) {
    out.push_back(stack);
    return;
  }
  expand_rule(e.value, after(f.pos, f.parent), out);
}

void GrammarMatcher::expand_rule(uint32_t rule, int32_t continuation, std::vector<int32_t>& out) {
  for (uint32_t start : grammar_->rules[rule]) {
    if (grammar_->elements[start].kind == Element::end)
      expand(continuation, out);
    else
      expand(push(start, continuation), out);
  }
}

GrammarMatcher::StateId GrammarMatcher::intern(std::vector<int32_t>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto [it, fresh] = state_ids_.try_emplace(stacks, static_cast<StateId>(states_.size()));
  if (fresh) {
    states_.push_back(stacks);
    ends_.push_back(!stacks.empty() && stacks.front() == kEmptyStack);
    std::array<StateId, 128> unknown;
    unknown.fill(-1);
    ascii_.push_back(unknown);
    by_match_.emplace_back();
  }
  return it->second;
}

GrammarMatcher::StateId GrammarMatcher::compute(StateId from, char32_t c) {
  std::vector<int32_t> next;
  ++visit_epoch_;
  // states_ may grow (and move) while expanding: iterate over a copy of the ids.
  const std::vector<int32_t> stacks = states_[from];
  for (int32_t s : stacks) {
    if (s == kEmptyStack) continue;
    const Frame f = frames_[s];
    if (grammar_->classes[grammar_->elements[f.pos].value].matches(c)) expand(after(f.pos, f.parent), next);
  }
  return intern(next);
}

GrammarMatcher::StateId GrammarMatcher::advance(StateId from, char32_t c) {
  if (from == kDead) return kDead;
  if (c < 128) {
    StateId cached = ascii_[from][c];
    if (cached < 0) {
      cached = compute(from, c);
      ascii_[from][c] = cached;
    }
    return cached;
  }
  const std::vector<int32_t>& stacks = states_[from];
  if (stacks.size() > 64) return compute(from, c);
  uint64_t matched = 0;
  for (size_t i = 0; i < stacks.size(); ++i) {
    const int32_t st = stacks[i];
    if (st != kEmptyStack && grammar_->classes[grammar_->elements[frames_[st].pos].value].matches(c))
      matched |= uint64_t{1} << i;
  }
  if (matched == 0) return kDead;
  for (const auto& [m, next] : by_match_[from])
    if (m == matched) return next;
  const StateId next = compute_matched(from, matched);
  by_match_[from].emplace_back(matched, next);
  return next;
}

GrammarMatcher::StateId GrammarMatcher::compute_matched(StateId from, uint64_t matched) {
  std::vector<int32_t> next;
  ++visit_epoch_;
  const std::vector<int32_t> stacks = states_[from];  // a copy: intern() may grow states_
  for (size_t i = 0; i < stacks.size(); ++i) {
    if (!((matched >> i) & 1)) continue;
    const Frame f = frames_[stacks[i]];
    expand(after(f.pos, f.parent), next);
  }
  return intern(next);
}

bool GrammarMatcher::allows_any(StateId state, char32_t lo, char32_t hi) const {
  if (lo > hi) return false;
  for (int32_t s : states_[state]) {
    if (s == kEmptyStack) continue;
    if (grammar_->classes[grammar_->elements[frames_[s].pos].value].intersects(lo, hi)) return true;
  }
  return false;
}

bool GrammarMatcher::allows(char32_t c) { return partial_.left == 0 && advance(state_, c) != kDead; }

bool GrammarMatcher::step_byte(unsigned char b, StateId& state, PartialChar& partial) {
  if (partial.left == 0) {
    if (b < 0x80) {
      state = advance(state, b);
      return state != kDead;
    }
    if (b >= 0xC2 && b <= 0xDF) partial = PartialChar{1, 2, char32_t{b} & 0x1F};
    else if (b >= 0xE0 && b <= 0xEF) partial = PartialChar{2, 3, char32_t{b} & 0x0F};
    else if (b >= 0xF0 && b <= 0xF4) partial = PartialChar{3, 4, char32_t{b} & 0x07};
    else return false;
  } else {
    if ((b & 0xC0) != 0x80) return false;
    partial.bits = (partial.bits << 6) | (b & 0x3F);
    --partial.left;
  }
  if (partial.left == 0) {
    const char32_t c = partial.bits;
    const char32_t min = partial.length == 2 ? 0x80 : partial.length == 3 ? 0x800 : 0x10000;
    partial = PartialChar{};
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    state = advance(state, c);
    return state != kDead;
  }
  return allows_any(state, partial.lowest(), partial.highest());
}

bool GrammarMatcher::accept(std::string_view bytes) {
  StateId state = state_;
  PartialChar partial = partial_;
  for (char ch : bytes)
    if (!step_byte(static_cast<unsigned char>(ch), state, partial)) return false;
  state_ = state;
  partial_ = partial;
  return true;
}

}  // namespace trit::engine::grammar
