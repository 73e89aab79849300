#include "tokenizer/byte_level.h"

#include <array>

namespace trit::tokenizer {
namespace {

struct Alphabet {
  std::array<uint32_t, 256> codepoint{};
  std::array<std::string, 256> piece;
  Alphabet() {
    uint32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      codepoint[b] = printable ? uint32_t(b) : next_extra++;
      append_utf8(piece[b], codepoint[b]);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet table;
  return table;
}

}  // namespace

uint32_t byte_to_codepoint(uint8_t b) { return alphabet().codepoint[b]; }

int byte_from_codepoint(uint32_t cp) {
  // Printable bytes spell themselves; the 68 others occupy U+0100..U+0143 in byte order.
  if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return int(cp);
  if (cp >= 256 && cp < 256 + 68) {
    static const std::array<int, 68> extra = [] {
      std::array<int, 68> table{};
      for (int b = 0; b < 256; ++b)
        if (alphabet().codepoint[b] >= 256) table[alphabet().codepoint[b] - 256] = b;
      return table;
    }();
    return extra[cp - 256];
  }
  return -1;
}

const std::string& byte_to_piece(uint8_t b) { return alphabet().piece[b]; }

std::string bytes_to_piece(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += alphabet().piece[c];
  return out;
}

bool piece_to_bytes(std::string_view piece, std::string& out) {
  for (size_t i = 0; i < piece.size();) {
    uint32_t cp = 0;
    size_t len = decode_utf8(piece, i, cp);
    if (len == 0) return false;
    int b = byte_from_codepoint(cp);
    if (b < 0) return false;
    out += char(b);
    i += len;
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t len;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace trit::tokenizer
