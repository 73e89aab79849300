#include "tokenizer/jinja/text.h"

#include "tokenizer/utf8.h"

namespace trit::tokenizer::jinja {

Text Text::from_data(std::string b) {
  Text t;
  t.data.assign(b.size(), 1);
  t.bytes = std::move(b);
  return t;
}

bool Text::any_data() const { return data.find('\1') != std::string::npos; }

void Text::append(const Text& other) {
  if (other.data.empty() && data.empty()) {
    bytes += other.bytes;
    return;
  }
  if (data.empty()) data.assign(bytes.size(), 0);
  if (other.data.empty()) data.append(other.bytes.size(), 0);
  else data += other.data;
  bytes += other.bytes;
}

void Text::append_template(std::string_view s) {
  if (!data.empty()) data.append(s.size(), 0);
  bytes += s;
}

void Text::append_data(std::string_view s) {
  if (data.empty()) data.assign(bytes.size(), 0);
  data.append(s.size(), 1);
  bytes += s;
}

Text Text::slice(size_t begin, size_t end) const {
  Text t;
  t.bytes = bytes.substr(begin, end - begin);
  if (!data.empty()) t.data = data.substr(begin, end - begin);
  return t;
}

void Text::mark_all(bool as_data) {
  if (as_data) data.assign(bytes.size(), 1);
  else data.clear();
}

uint32_t decode_char(std::string_view s, size_t i, size_t* len) {
  uint32_t cp = 0;
  *len = decode_utf8(s, i, cp);
  if (*len == 0) {  // not reached for valid UTF-8: the byte alone
    *len = 1;
    cp = static_cast<unsigned char>(s[i]);
  }
  return cp;
}

std::vector<size_t> char_offsets(std::string_view s) {
  std::vector<size_t> at;
  for (size_t i = 0; i < s.size();) {
    at.push_back(i);
    size_t len;
    decode_char(s, i, &len);
    i += len;
  }
  at.push_back(s.size());
  return at;
}

bool is_python_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E: case 0x1F:
    case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace trit::tokenizer::jinja
