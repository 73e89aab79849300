#include "kernels/packed_layout.h"

#include <cstring>

#include "util/error.h"

namespace trit::kernels {

PackedLayout packed_layout_for(const MatrixView& w, int rows_per_panel, PackedCodes codes) {
  PackedLayout l;
  l.rows_per_panel = rows_per_panel;
  l.rows = w.rows;
  l.cols = w.cols;
  if (!w.type->coded()) fail("pack_ternary: ", w.type->name, " is not a ternary or sign type");
  l.group = static_cast<int>(w.type->block_size);
  l.codes = codes;
  l.bits = codes == PackedCodes::fields2 ? 2 : codes == PackedCodes::fields1 ? 1 : 0;
  if ((codes == PackedCodes::fields1) != (w.type->family == formats::Family::sign))
    fail("pack_ternary: ", w.type->name, " codes cannot be stored in this panel layout");
  if (l.group % 32 != 0) fail("pack_ternary: blocks of ", l.group, " elements are not whole vectors");
  l.blocks = w.cols / l.group;
  l.panels = (w.rows + rows_per_panel - 1) / rows_per_panel;
  return l;
}

PackedCodesChoice packed_codes_for(const formats::TypeInfo& type) {
  if (type.family == formats::Family::sign) return {{PackedCodes::fields1, PackedCodes::fields1}, 1};
  if (type.bits_per_weight() < 2.0) return {{PackedCodes::septets, PackedCodes::fields2}, 2};
  return {{PackedCodes::fields2, PackedCodes::fields2}, 1};
}

namespace {

// Both codes layouts move whole 32-bit words: source word j of a block (its bytes 4j..4j+3) holds
// exactly the elements of packed vector j, and becomes lane i (row i) of that vector after a
// transpose of its fields.

// Q2_0: source byte p, field m (element 16j + 4p + m) -> target byte m, field p. A 4x4 transpose
// of 2-bit fields by two delta swaps: exchange the low bits of p and m (distance 8 - 2 = 6), then
// the high bits (distance 16 - 4 = 12).
inline uint32_t transpose_2bit_fields(uint32_t x) {
  uint32_t t = ((x >> 6) ^ x) & 0x00CC00CCu;
  x ^= t ^ (t << 6);
  t = ((x >> 12) ^ x) & 0x0000F0F0u;
  x ^= t ^ (t << 12);
  return x;
}

// Q1_0: element 32j + 4p + m sits at source bit 4p + m and goes to target bit 8m + p. Source
// byte q holds p = 2q (bits 0-3 = m) and p = 2q + 1 (bits 4-7); kSpread places one byte's bits
// for q = 0, and the other bytes land two positions further each.
struct SpreadTable {
  uint32_t v[256];
  constexpr SpreadTable() : v() {
    for (int byte = 0; byte < 256; ++byte)
      for (int bit = 0; bit < 8; ++bit)
        if (byte >> bit & 1) v[byte] |= 1u << (8 * (bit & 3) + (bit >> 2));
  }
};
constexpr SpreadTable kSpread;

inline uint32_t transpose_sign_bits(uint32_t x) {
  return kSpread.v[x & 0xff] | kSpread.v[(x >> 8) & 0xff] << 2 | kSpread.v[(x >> 16) & 0xff] << 4 |
         kSpread.v[x >> 24] << 6;
}

// Any other block layout: the type's own decoder gives one code per element; the packed word for
// vector j, row lane holds element j * span + 4p + m at bits [p*bits + 8m ...) as described in
// packed_layout.h (2-bit codes: 4 fields per byte; sign codes 0/2 stored as their bit).
inline uint32_t packed_word(const uint8_t* codes, int j, int bits) {
  const int planes = 8 / bits;
  uint32_t word = 0;
  for (int p = 0; p < planes; ++p)
    for (int m = 0; m < 4; ++m) {
      const uint32_t code = codes[j * 4 * planes + 4 * p + m];
      word |= (bits == 2 ? code & 3 : code >> 1 & 1) << (8 * m + p * bits);
    }
  return word;
}

// Septet panels: one block of row lane i (its codes, 0..2) into the block's vectors (packed_layout.h).
void put_septets(const uint8_t* codes, const PackedLayout& l, int i, uint8_t* block) {
  const size_t vector_bytes = l.septet_vector_bytes();
  for (int j = 0; j < l.group / 16; ++j)
    for (int m = 0; m < 4; ++m) {
      const uint8_t* c = codes + 16 * j + m;  // planes p at c[4 * p]
      if (c[0] > 2 || c[4] > 2 || c[8] > 2 || c[12] > 2) fail("pack_ternary: septet panels hold codes 0..2 only");
      const unsigned septet = (c[0] + 3u * c[4] + 9u * c[8]) | static_cast<unsigned>(c[12]) << 5;
      const size_t bit = 7 * static_cast<size_t>(4 * i + m);
      uint8_t* vector = block + j * vector_bytes;
      const unsigned spread = septet << (bit % 8);  // up to 14 bits: this byte and the next
      vector[bit / 8] |= static_cast<uint8_t>(spread);
      if (spread >> 8) vector[bit / 8 + 1] |= static_cast<uint8_t>(spread >> 8);
    }
}

void pack_septets(const MatrixView& w, const PackedLayout& l, uint8_t* dst) {
  const int R = l.rows_per_panel;
  const formats::TypeInfo& type = *w.type;
  uint8_t codes[4096];
  if (l.group > 4096) fail("pack_ternary: blocks of ", l.group, " elements are too long to decode");
  for (int64_t panel = 0; panel < l.panels; ++panel) {
    uint8_t* base = dst + panel * l.panel_bytes();
    auto* scales = reinterpret_cast<uint16_t*>(base);
    for (int i = 0; i < R; ++i) {
      const int64_t row = panel * R + i;
      if (row >= w.rows) break;  // padding rows: scale 0, codes 0
      for (int64_t b = 0; b < l.blocks; ++b) {
        const uint8_t* block = w.data + row * w.row_bytes + b * type.block_bytes;
        std::memcpy(&scales[b * R + i], block + type.scale_offset, 2);
        type.decode_codes(block, codes);
        put_septets(codes, l, i, base + l.scale_bytes() + b * l.block_code_bytes());
      }
    }
  }
}

}  // namespace

void pack_ternary(const MatrixView& w, const PackedLayout& l, uint8_t* dst) {
  std::memset(dst, 0, l.total_bytes());
  if (l.codes == PackedCodes::septets) return pack_septets(w, l, dst);
  const int R = l.rows_per_panel;
  const int words = l.group * l.bits / 32;  // = vectors per block
  const formats::TypeInfo& type = *w.type;
  const size_t block_bytes = static_cast<size_t>(type.block_bytes);
  // The file's payload words move as they are (after a field transpose) when its codes already
  // sit in the packed bit width; anything else is decoded block by block.
  const bool fields = (type.code_layout == formats::CodeLayout::fields2 && l.bits == 2) ||
                      (type.code_layout == formats::CodeLayout::fields1 && l.bits == 1);
  uint8_t codes[4096];
  if (!fields && l.group > 4096) fail("pack_ternary: blocks of ", l.group, " elements are too long to decode");
  for (int64_t panel = 0; panel < l.panels; ++panel) {
    uint8_t* base = dst + panel * l.panel_bytes();
    auto* scales = reinterpret_cast<uint16_t*>(base);
    uint8_t* packed_codes = base + l.scale_bytes();
    for (int i = 0; i < R; ++i) {
      const int64_t row = panel * R + i;
      if (row >= w.rows) break;  // padding rows: scale 0, codes 0
      const uint8_t* src_row = w.data + row * w.row_bytes;
      for (int64_t b = 0; b < l.blocks; ++b) {
        const uint8_t* block = src_row + b * block_bytes;
        std::memcpy(&scales[b * R + i], block + type.scale_offset, 2);
        const uint8_t* payload = block + type.payload_offset;
        uint8_t* out = packed_codes + b * l.block_code_bytes() + 4 * i;
        if (!fields) type.decode_codes(block, codes);
        for (int j = 0; j < words; ++j) {
          uint32_t word;
          if (fields) {
            std::memcpy(&word, payload + 4 * j, 4);
            word = l.bits == 2 ? transpose_2bit_fields(word) : transpose_sign_bits(word);
          } else {
            word = packed_word(codes, j, l.bits);
          }
          std::memcpy(out + j * l.vector_bytes(), &word, 4);
        }
      }
    }
  }
}

}  // namespace trit::kernels
