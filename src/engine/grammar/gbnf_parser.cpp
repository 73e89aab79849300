#include "engine/grammar/gbnf_parser.h"

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/error.h"

namespace trit::engine::grammar {
namespace {

constexpr int64_t kUnbounded = -1;
constexpr int64_t kMaxRepetition = 100000;  // {m,n} bounds beyond this are refused

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Grammar parse() {
    skip_space(true);
    while (pos_ < src_.size()) {
      parse_rule();
      skip_space(true);
    }
    return finish();
  }

 private:
  struct Draft {
    std::string name;
    std::vector<std::vector<Element>> alternatives;
    bool defined = false;
    size_t first_use = 0;  // where it was first referred to (for "not defined")
  };
  using Sequence = std::vector<Element>;

  [[noreturn]] void error_at(size_t at, const std::string& message) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    fail("grammar line ", line, " col ", col, ": ", message);
  }
  [[noreturn]] void error(const std::string& message) const { error_at(pos_, message); }

  bool at_end() const { return pos_ >= src_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }

  // Blanks and comments; newlines too when `newline_ok`.
  void skip_space(bool newline_ok) {
    while (!at_end()) {
      const char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && src_[pos_] != '\n') ++pos_;
      } else if (c == '\n' && newline_ok) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    const size_t start = pos_;
    while (!at_end() && is_name_char(src_[pos_])) ++pos_;
    if (pos_ == start) error("expected a rule name");
    return std::string(src_.substr(start, pos_ - start));
  }

  uint32_t rule_index(const std::string& name, size_t used_at) {
    auto [it, fresh] = by_name_.try_emplace(name, static_cast<uint32_t>(rules_.size()));
    if (fresh) rules_.push_back(Draft{name, {}, false, used_at});
    return it->second;
  }

  uint32_t new_rule(const std::string& parent, std::vector<Sequence> alternatives) {
    const auto id = static_cast<uint32_t>(rules_.size());
    rules_.push_back(Draft{parent + "-" + std::to_string(id), std::move(alternatives), true, pos_});
    return id;
  }

  void parse_rule() {
    const size_t start = pos_;
    const std::string name = parse_name();
    skip_space(false);
    if (src_.substr(pos_, 3) != "::=") error("expected '::=' after rule name '" + name + "'");
    pos_ += 3;
    skip_space(true);
    const uint32_t id = rule_index(name, start);
    if (rules_[id].defined) error_at(start, "rule '" + name + "' is defined twice");
    rules_[id].defined = true;
    auto alternatives = parse_alternatives(name, false);
    rules_[id].alternatives = std::move(alternatives);
    skip_space(false);
    if (!at_end() && peek() != '\n') error(std::string("unexpected '") + peek() + "'");
  }

  std::vector<Sequence> parse_alternatives(const std::string& rule, bool nested) {
    std::vector<Sequence> alternatives;
    alternatives.push_back(parse_sequence(rule, nested));
    while (peek() == '|') {
      ++pos_;
      skip_space(true);
      alternatives.push_back(parse_sequence(rule, nested));
    }
    return alternatives;
  }

  Sequence parse_sequence(const std::string& rule, bool nested) {
    Sequence seq;
    size_t last = std::string::npos;  // where the last item's elements begin (for repetition)
    while (!at_end()) {
      const char c = peek();
      const size_t item_at = pos_;
      if (c == '"') {
        last = seq.size();
        ++pos_;
        while (peek() != '"') {
          if (at_end() || peek() == '\n') error_at(item_at, "unterminated literal");
          const char32_t cp = parse_char();
          seq.push_back(class_element(CharClass{false, {{cp, cp}}}));
        }
        ++pos_;
      } else if (c == '[') {
        last = seq.size();
        seq.push_back(class_element(parse_class()));
      } else if (c == '.') {
        last = seq.size();
        ++pos_;
        seq.push_back(class_element(CharClass{true, {}}));
      } else if (is_name_char(c)) {
        last = seq.size();
        seq.push_back(Element{Element::rule_ref, rule_index(parse_name(), item_at)});
      } else if (c == '(') {
        last = seq.size();
        ++pos_;
        skip_space(true);
        auto alternatives = parse_alternatives(rule, true);
        if (peek() != ')') error_at(item_at, "'(' is not closed");
        ++pos_;
        seq.push_back(Element{Element::rule_ref, new_rule(rule, std::move(alternatives))});
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (last == std::string::npos) error(std::string("'") + c + "' repeats nothing");
        auto [min, max] = parse_repetition();
        repeat(seq, last, min, max, rule);
        last = std::string::npos;
      } else {
        break;
      }
      skip_space(nested);
    }
    return seq;
  }

  std::pair<int64_t, int64_t> parse_repetition() {
    const char c = src_[pos_++];
    if (c == '*') return {0, kUnbounded};
    if (c == '+') return {1, kUnbounded};
    if (c == '?') return {0, 1};
    const size_t at = pos_ - 1;
    skip_space(false);
    const int64_t min = parse_count();
    int64_t max = min;
    skip_space(false);
    if (peek() == ',') {
      ++pos_;
      skip_space(false);
      max = (peek() == '}') ? kUnbounded : parse_count();
      skip_space(false);
    }
    if (peek() != '}') error("expected '}' to close the repetition");
    ++pos_;
    if (max != kUnbounded && max < min) error_at(at, "repetition {m,n} has n < m");
    return {min, max};
  }

  int64_t parse_count() {
    const size_t start = pos_;
    int64_t n = 0;
    while (peek() >= '0' && peek() <= '9') {
      n = n * 10 + (src_[pos_++] - '0');
      if (n > kMaxRepetition) error_at(start, "repetition count above " + std::to_string(kMaxRepetition));
    }
    if (pos_ == start) error("expected a number in the repetition");
    return n;
  }

  // Rewrites the item seq[last...] as `min` copies followed by an optional tail: unbounded
  // (R ::= X R | ) or (max - min) nested optionals (R1 ::= X | , R2 ::= X R1 | , ...).
  void repeat(Sequence& seq, size_t last, int64_t min, int64_t max, const std::string& rule) {
    Sequence item(seq.begin() + static_cast<ptrdiff_t>(last), seq.end());
    seq.resize(last);
    if (item.empty()) return;  // "" repeated is still nothing
    if (item.size() > 1) item = {Element{Element::rule_ref, new_rule(rule, {item})}};
    for (int64_t i = 0; i < min; ++i) seq.push_back(item[0]);
    if (max == kUnbounded) {
      const uint32_t r = new_rule(rule, {});
      rules_[r].alternatives = {{item[0], Element{Element::rule_ref, r}}, {}};
      seq.push_back(Element{Element::rule_ref, r});
      return;
    }
    std::optional<uint32_t> tail;
    for (int64_t i = min; i < max; ++i) {
      Sequence more = {item[0]};
      if (tail) more.push_back(Element{Element::rule_ref, *tail});
      tail = new_rule(rule, {more, {}});
    }
    if (tail) seq.push_back(Element{Element::rule_ref, *tail});
  }

  CharClass parse_class() {
    const size_t start = pos_;
    ++pos_;  // [
    CharClass cls;
    if (peek() == '^') {
      cls.negated = true;
      ++pos_;
    }
    while (peek() != ']') {
      if (at_end()) error_at(start, "unterminated character class");
      const char32_t lo = parse_char();
      char32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < src_.size()) {
        ++pos_;
        hi = parse_char();
        if (hi < lo) error("range end below its start in a character class");
      }
      cls.ranges.emplace_back(lo, hi);
    }
    ++pos_;
    return cls;
  }

  Element class_element(CharClass cls) {
    cls.normalize();
    classes_.push_back(std::move(cls));
    return Element{Element::char_class, static_cast<uint32_t>(classes_.size() - 1)};
  }

  // One character of a literal or class: an escape or one UTF-8 encoded code point.
  char32_t parse_char() {
    const size_t start = pos_;
    const auto c = static_cast<unsigned char>(src_[pos_++]);
    if (c == '\\') {
      if (at_end()) error_at(start, "unfinished escape");
      const char e = src_[pos_++];
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case 'x': return parse_hex(2, start);
        case 'u': return parse_hex(4, start);
        case 'U': return parse_hex(8, start);
        case '\\': case '"': case '[': case ']': case '-': case '/': case '^': return static_cast<char32_t>(e);
        default: error_at(start, std::string("unknown escape '\\") + e + "'");
      }
    }
    if (c < 0x80) return c;
    const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (extra < 0 || c >= 0xF8) error_at(start, "invalid UTF-8 in the grammar");
    char32_t cp = c & (0x3F >> extra);
    for (int i = 0; i < extra; ++i) {
      if (at_end() || (static_cast<unsigned char>(src_[pos_]) & 0xC0) != 0x80)
        error_at(start, "invalid UTF-8 in the grammar");
      cp = (cp << 6) | (static_cast<unsigned char>(src_[pos_++]) & 0x3F);
    }
    return cp;
  }

  char32_t parse_hex(int digits, size_t start) {
    char32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const char h = peek();
      int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (d < 0) error_at(start, "escape needs " + std::to_string(digits) + " hex digits");
      v = v * 16 + static_cast<char32_t>(d);
      ++pos_;
    }
    if (v > 0x10FFFF) error_at(start, "escape beyond U+10FFFF");
    return v;
  }

  Grammar finish() {
    auto root = by_name_.find("root");
    if (root == by_name_.end() || !rules_[root->second].defined) fail("grammar: there is no 'root' rule");
    for (const Draft& d : rules_)
      if (!d.defined) error_at(d.first_use, "rule '" + d.name + "' is used but not defined");
    check_left_recursion();
    Grammar g;
    g.root = root->second;
    g.classes = std::move(classes_);
    for (Draft& d : rules_) {
      std::vector<uint32_t> starts;
      for (Sequence& alt : d.alternatives) {
        starts.push_back(static_cast<uint32_t>(g.elements.size()));
        g.elements.insert(g.elements.end(), alt.begin(), alt.end());
        g.elements.push_back(Element{});
      }
      g.rules.push_back(std::move(starts));
      g.rule_names.push_back(std::move(d.name));
    }
    return g;
  }

  // A rule that reaches itself before reading any character would expand forever.
  void check_left_recursion() const {
    const size_t n = rules_.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (const Sequence& alt : rules_[r].alternatives) {
          bool all = true;
          for (const Element& e : alt) all = all && e.kind == Element::rule_ref && nullable[e.value];
          if (all) {
            nullable[r] = changed = true;
            break;
          }
        }
      }
    }
    std::vector<std::vector<uint32_t>> left(n);  // rules reachable before any character
    for (size_t r = 0; r < n; ++r)
      for (const Sequence& alt : rules_[r].alternatives)
        for (const Element& e : alt) {
          if (e.kind != Element::rule_ref) break;
          left[r].push_back(e.value);
          if (!nullable[e.value]) break;
        }
    std::vector<int> state(n, 0);  // 0 unseen, 1 on the path, 2 done
    std::function<void(uint32_t)> visit = [&](uint32_t r) {
      state[r] = 1;
      for (uint32_t s : left[r]) {
        if (state[s] == 1) fail("grammar: rule '", display_name(s), "' is left-recursive (it can reach itself before reading a character)");
        if (state[s] == 0) visit(s);
      }
      state[r] = 2;
    };
    for (uint32_t r = 0; r < n; ++r)
      if (state[r] == 0) visit(r);
  }

  // Generated rules are named after the rule they came from.
  std::string display_name(uint32_t r) const {
    const std::string& name = rules_[r].name;
    const size_t dash = name.rfind('-');
    if (dash != std::string::npos && by_name_.count(name) == 0) return name.substr(0, dash);
    return name;
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<Draft> rules_;
  std::unordered_map<std::string, uint32_t> by_name_;
  std::vector<CharClass> classes_;
};

}  // namespace

Grammar parse_gbnf(std::string_view text) { return Parser(text).parse(); }

}  // namespace trit::engine::grammar
