#include "tokenizer/jinja/lexer.h"

#include <cctype>

#include "tokenizer/jinja/text.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string normalise_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Python's unicode-escape decoding of a string literal's body (what Jinja2 applies); an unknown
// escape keeps its backslash.
std::string unescape(std::string_view s, int line) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    auto hex = [&](size_t n) {
      uint32_t cp = 0;
      for (size_t k = 1; k <= n; ++k) {
        if (i + k >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + k])))
          fail("chat template line ", line, ": truncated \\x/\\u escape in a string");
        const char h = s[i + k];
        cp = cp * 16 + uint32_t(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
      }
      i += n;
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail("chat template line ", line, ": invalid character escape");
      append_utf8(out, cp);
    };
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '0': out += '\0'; break;
      case '\n': break;  // line continuation
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      default:
        out += '\\';
        out += c;
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : s_(std::move(src)) {}

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;  // the text before the next tag starts a line
    bool strip_next = false;    // the last tag ended with "-"
    while (pos < s_.size()) {
      size_t tag = find_tag(pos);
      std::string text = s_.substr(pos, (tag == std::string::npos ? s_.size() : tag) - pos);
      if (strip_next) {
        size_t k = 0;
        while (k < text.size() && is_space(text[k])) ++k;
        text.erase(0, k);
      }
      const int text_line = line_;
      if (tag == std::string::npos) {
        add_data(text, text_line);
        break;
      }
      const char kind = s_[tag + 1];  // '{', '%' or '#'
      const char sign = tag + 2 < s_.size() ? s_[tag + 2] : 0;
      if (sign == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (sign != '+' && kind != '{') {
        // lstrip_blocks: only spaces and tabs between the line start and the tag.
        const size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
        if (line_start > 0 || line_starting) {
          if (text.find_first_not_of(" \t", line_start) == std::string::npos) text.erase(line_start);
        }
      }
      add_data(text, text_line);
      count_lines(pos, tag);
      pos = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      if (kind == '#') {
        size_t end = s_.find("#}", pos);
        if (end == std::string::npos) fail("chat template line ", line_, ": unclosed comment");
        const bool minus = end > pos && s_[end - 1] == '-';
        const bool plus = end > pos && s_[end - 1] == '+';
        count_lines(pos, end + 2);
        pos = end + 2;
        finish_tag(pos, minus, plus, true, &strip_next, &line_starting);
        continue;
      }
      if (kind == '%' && is_raw(pos)) {
        pos = lex_raw(pos, &strip_next, &line_starting);
        continue;
      }
      tokens_.push_back({kind == '{' ? Tok::var_begin : Tok::block_begin, "", line_});
      bool minus = false, plus = false;
      pos = lex_inside(pos, kind == '{' ? '}' : '%', &minus, &plus);
      tokens_.push_back({kind == '{' ? Tok::var_end : Tok::block_end, "", line_});
      finish_tag(pos, minus, plus, kind == '%', &strip_next, &line_starting);
    }
    tokens_.push_back({Tok::eof, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string::npos; i = s_.find('{', i + 1))
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    return std::string::npos;
  }

  void count_lines(size_t from, size_t to) {
    for (size_t i = from; i < to && i < s_.size(); ++i) line_ += s_[i] == '\n';
  }

  void add_data(const std::string& text, int line) {
    if (!text.empty()) tokens_.push_back({Tok::data, text, line});
  }

  // After a tag's end: "-" strips the whitespace that follows (done when the next text is cut),
  // trim_blocks drops one newline after a block or comment tag unless "+" asks to keep it.
  void finish_tag(size_t& pos, bool minus, bool plus, bool block, bool* strip_next, bool* line_starting) {
    *strip_next = minus;
    *line_starting = false;
    if (!minus && !plus && block && pos < s_.size() && s_[pos] == '\n') {
      ++pos;
      ++line_;
      *line_starting = true;
    }
    if (pos > 0 && s_[pos - 1] == '\n') *line_starting = true;
  }

  bool is_raw(size_t pos) const {
    size_t i = pos;
    while (i < s_.size() && is_space(s_[i])) ++i;
    if (s_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    while (i < s_.size() && is_space(s_[i])) ++i;
    return s_.compare(i, 2, "%}") == 0 || s_.compare(i, 3, "-%}") == 0 || s_.compare(i, 3, "+%}") == 0;
  }

  size_t lex_raw(size_t pos, bool* strip_next, bool* line_starting) {
    size_t close = s_.find("%}", pos);
    const bool minus_open = s_[close - 1] == '-';
    size_t body = close + 2;
    // Find {% endraw %} (with optional signs and spaces).
    for (size_t at = s_.find("{%", body); at != std::string::npos; at = s_.find("{%", at + 2)) {
      size_t i = at + 2;
      const bool minus_before = i < s_.size() && s_[i] == '-';
      if (i < s_.size() && (s_[i] == '-' || s_[i] == '+')) ++i;
      while (i < s_.size() && is_space(s_[i])) ++i;
      if (s_.compare(i, 6, "endraw") != 0) continue;
      i += 6;
      while (i < s_.size() && is_space(s_[i])) ++i;
      bool minus_after = false, plus_after = false;
      if (i < s_.size() && (s_[i] == '-' || s_[i] == '+')) {
        minus_after = s_[i] == '-';
        plus_after = s_[i] == '+';
        ++i;
      }
      if (s_.compare(i, 2, "%}") != 0) continue;
      std::string text = s_.substr(body, at - body);
      if (minus_open) text.erase(0, text.find_first_not_of(" \t\n\r\v\f") == std::string::npos ? text.size() : text.find_first_not_of(" \t\n\r\v\f"));
      if (minus_before) while (!text.empty() && is_space(text.back())) text.pop_back();
      add_data(text, line_);
      count_lines(pos, i + 2);
      size_t end = i + 2;
      finish_tag(end, minus_after, plus_after, true, strip_next, line_starting);
      return end;
    }
    fail("chat template line ", line_, ": {% raw %} without {% endraw %}");
  }

  // Tokens of one tag, up to its end ("}}" or "%}", with an optional "-" or "+" before it).
  size_t lex_inside(size_t pos, char end_char, bool* minus, bool* plus) {
    int depth = 0;  // open brackets: a "}}" inside a dict literal does not end the tag
    static const char* const kOps[] = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
                                       "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};
    for (;;) {
      while (pos < s_.size() && is_space(s_[pos])) {
        line_ += s_[pos] == '\n';
        ++pos;
      }
      if (pos >= s_.size()) fail("chat template line ", line_, ": unclosed tag (missing '", end_char, "}')");
      if (depth == 0) {
        for (char sign : {'-', '+'}) {
          if (s_[pos] == sign && pos + 2 < s_.size() && s_[pos + 1] == end_char && s_[pos + 2] == '}') {
            (sign == '-' ? *minus : *plus) = true;
            return pos + 3;
          }
        }
        if (s_[pos] == end_char && pos + 1 < s_.size() && s_[pos + 1] == '}') return pos + 2;
      }
      const char c = s_[pos];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t e = pos;
        while (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
        tokens_.push_back({Tok::name, s_.substr(pos, e - pos), line_});
        pos = e;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t e = pos;
        auto digits = [&] {
          while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
        };
        digits();
        bool is_float = false;
        if (e + 1 < s_.size() && s_[e] == '.' && std::isdigit(static_cast<unsigned char>(s_[e + 1]))) {
          ++e;
          digits();
          is_float = true;
        }
        if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
          size_t k = e + 1;
          if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
          if (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) {
            e = k;
            digits();
            is_float = true;
          }
        }
        std::string number;
        for (size_t k = pos; k < e; ++k)
          if (s_[k] != '_') number += s_[k];
        tokens_.push_back({is_float ? Tok::floating : Tok::integer, number, line_});
        pos = e;
      } else if (c == '\'' || c == '"') {
        size_t e = pos + 1;
        const int start_line = line_;
        while (e < s_.size() && s_[e] != c) {
          if (s_[e] == '\\') ++e;
          if (e < s_.size() && s_[e] == '\n') ++line_;
          ++e;
        }
        if (e >= s_.size()) fail("chat template line ", start_line, ": unterminated string");
        tokens_.push_back({Tok::string, unescape(std::string_view(s_).substr(pos + 1, e - pos - 1), start_line), start_line});
        pos = e + 1;
      } else {
        const char* op = nullptr;
        for (const char* candidate : kOps)
          if (s_.compare(pos, std::char_traits<char>::length(candidate), candidate) == 0) {
            op = candidate;
            break;
          }
        if (!op) fail("chat template line ", line_, ": unexpected character '", c, "'");
        if (*op == '(' || *op == '[' || *op == '{') ++depth;
        if ((*op == ')' || *op == ']' || *op == '}') && depth > 0) --depth;
        tokens_.push_back({Tok::op, op, line_});
        pos += std::char_traits<char>::length(op);
      }
    }
  }

  std::string s_;
  std::vector<Token> tokens_;
  int line_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(normalise_newlines(source)).run(); }

}  // namespace trit::tokenizer::jinja
