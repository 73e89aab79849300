#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

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


}  // namespace trit::tokenizer
