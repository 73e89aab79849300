// to_json_python: Python json.dumps(value, ensure_ascii=False) formatting, which is what the
// `tojson` filter of transformers' chat-template environment produces.
#include <cstdio>

#include "tokenizer/chat.h"

namespace trit::tokenizer {
namespace {

void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);  // ensure_ascii=False: UTF-8 passes through
        }
    }
  }
  out += '"';
}

void write_value(std::string& out, const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        write_string(out, it.key());
        out += ": ";
        write_value(out, it.value());
      }
      out += '}';
      break;
    }
    case ordered_json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        write_value(out, v[i]);
      }
      out += ']';
      break;
    }
    case ordered_json::value_t::string:
      write_string(out, v.get_ref<const std::string&>());
      break;
    default:
      out += v.dump();  // null, booleans, numbers (floats keep a ".0" like Python's repr)
  }
}

}  // namespace

std::string to_json_python(const ordered_json& value) {
  std::string out;
  write_value(out, value);
  return out;
}

}  // namespace trit::tokenizer
