// Text: a string whose every byte knows where it came from, the template's own source or the
// caller's data (message contents, roles, tool definitions, names, arguments). The renderer keeps
// this per byte through concatenation, slicing and string methods, so the tokenizer can encode
// data bytes as plain text: a message can never forge a control token.
//
// Layout: `bytes` is valid UTF-8; `data` is either empty (all bytes from the template) or has one
// flag per byte (1 = from data). Python strings index code points, so the helpers here count
// and cut on character boundaries.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trit::tokenizer::jinja {

struct Text {
  std::string bytes;
  std::string data;  // empty, or bytes.size() flags of 0/1

  Text() = default;
  Text(std::string b) : bytes(std::move(b)) {}  // template text
  static Text from_data(std::string b);

  bool any_data() const;
  bool is_data(size_t i) const { return !data.empty() && data[i]; }
  size_t size() const { return bytes.size(); }
  bool empty() const { return bytes.empty(); }

  void append(const Text& other);
  void append_template(std::string_view s);
  void append_data(std::string_view s);
  // Bytes [begin, end) with their provenance.
  Text slice(size_t begin, size_t end) const;
  // The same bytes, all marked as data when `as_data` (text built from data by a filter).
  void mark_all(bool as_data);
};

// Code points of valid UTF-8, and the byte offset of each one (plus the end).
std::vector<size_t> char_offsets(std::string_view s);
// One code point at s[i]; `len` gets its length in bytes.
uint32_t decode_char(std::string_view s, size_t i, size_t* len);
// Python's str.isspace for one code point.
bool is_python_space(uint32_t cp);

}  // namespace trit::tokenizer::jinja
