#include "server/json_path.h"

#include <cstdio>

namespace trit::server {

nlohmann::json::parser_callback_t JsonPath::callback() {
  using event = nlohmann::json::parse_event_t;
  return [this](int, event e, nlohmann::json& parsed) {
    switch (e) {
      case event::object_start: levels_.push_back({false, "", 0}); break;
      case event::array_start: levels_.push_back({true, "", 0}); break;
      case event::key:
        if (!levels_.empty()) levels_.back().key = parsed.get<std::string>();
        break;
      case event::object_end:
      case event::array_end:
        if (!levels_.empty()) levels_.pop_back();
        value_done();
        break;
      case event::value: value_done(); break;
    }
    return true;
  };
}

void JsonPath::value_done() {
  if (!levels_.empty() && levels_.back().array) ++levels_.back().index;
}

std::string JsonPath::current() const {
  std::string out;
  for (const Level& l : levels_) {
    if (l.array) {
      out += "[" + std::to_string(l.index) + "]";
    } else {
      if (!out.empty()) out += ".";
      out += l.key;
    }
  }
  return out;
}

std::string printable_excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char ch : text.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') out += std::string("\\") + ch;
    else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else out += ch;
  }
  return out;
}

std::string parse_error_text(const nlohmann::json::parse_error& e, std::string_view body) {
  // what(): "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error while
  // parsing value - invalid literal; last read: '<token>'[; expected ...]". Keep the description
  // between the position and the token.
  std::string what = e.what();
  const size_t colon = what.find(": ");
  std::string description = colon == std::string::npos ? what : what.substr(colon + 2);
  const size_t token = description.find("; last read: '");
  if (token != std::string::npos) description.resize(token);
  if (description.size() > 200) description.resize(200);  // never the body, but keep it bounded
  // e.byte is 1-based: the byte after the last one read.
  const size_t end = std::min(body.size(), e.byte > 0 ? e.byte - 1 : 0);
  const size_t begin = end > kErrorExcerptBytes ? end - kErrorExcerptBytes : 0;
  std::string text = description + " at byte " + std::to_string(end);
  if (end > begin) text += ", after '" + printable_excerpt(body.substr(begin, end - begin)) + "'";
  return text;
}

}  // namespace trit::server
