// A context-free grammar over Unicode code points, as llama.cpp's GBNF describes one, in the
// flat form the matcher walks.
//
// Layout: every alternative of every rule is a run of elements in `elements`, closed by an
// `end` element; rules[r] lists where each of rule r's alternatives starts (an alternative that
// is empty starts at its `end`). An element is a reference to another rule or one character
// class; a literal "ab" is two one-character classes. Repetition (*, +, ?, {m,n}) and groups are
// rewritten into generated rules by the parser, so the matcher knows only sequences,
// alternatives and references.
//
// A Grammar is immutable once built and shared between the sequences that use it.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trit::engine::grammar {

// A set of code points: sorted, disjoint, non-adjacent inclusive ranges, complemented when
// `negated` ([^...]).
struct CharClass {
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;

  bool matches(char32_t c) const;
  // Whether any code point in [lo, hi] is in the set (for a half-written UTF-8 character).
  bool intersects(char32_t lo, char32_t hi) const;
  // Sorts and merges the ranges (the form matches() relies on).
  void normalize();
};

struct Element {
  enum Kind : uint8_t { end, rule_ref, char_class };
  Kind kind = end;
  uint32_t value = 0;  // rule_ref: the rule; char_class: index into Grammar::classes
};

struct Grammar {
  std::vector<Element> elements;               // all alternatives, each closed by `end`
  std::vector<std::vector<uint32_t>> rules;    // rule -> start of each alternative in `elements`
  std::vector<std::string> rule_names;         // rule -> its name (generated rules: "name-N")
  std::vector<CharClass> classes;
  uint32_t root = 0;
};

}  // namespace trit::engine::grammar
