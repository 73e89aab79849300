// Where the JSON parser is, and parse errors that quote only a little of the body.
//
// nlohmann's messages quote the whole token the lexer was reading ("last read: '...'"), which for
// an unterminated string or a run of digits is the rest of the body, and its range error for a
// number like 1e400 names no field. JsonPath follows the parse through the parser callback so an
// error can say which field it was in; parse_error_text rewrites a parse error with a short,
// escaped excerpt of the body instead of the token.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace trit::server {

inline constexpr size_t kErrorExcerptBytes = 40;

class JsonPath {
 public:
  // A callback for json::parse that records the path and keeps every value.
  nlohmann::json::parser_callback_t callback();
  // The field being parsed, as "messages[0].content" ("" at the top level).
  std::string current() const;

 private:
  struct Level {
    bool array;
    std::string key;   // objects: the last key read
    size_t index = 0;  // arrays: the element being read
  };
  void value_done();
  std::vector<Level> levels_;
};

// "syntax error while parsing value - invalid string: missing closing quote at byte 12, near
// '...'": nlohmann's description without its token, the byte offset, and at most
// kErrorExcerptBytes of the body before it, with control and non-ASCII bytes escaped.
std::string parse_error_text(const nlohmann::json::parse_error& e, std::string_view body);

// Up to `max` bytes of `text` printable: \n, \t, \" and \xNN for other control or non-ASCII bytes.
std::string printable_excerpt(std::string_view text, size_t max = kErrorExcerptBytes);

}  // namespace trit::server
