// The interleaved layout the SIMD ternary kernels read (built once at load by pack_ternary()).
//
// Rows are grouped into panels of R rows (16 for AVX-512, 8 for AVX2; the last panel is padded
// with zero rows). A panel is one contiguous stretch:
//
//   [scales: blocks x R f16, block-major, padded to 64 bytes][codes: blocks x R*G*bits/8 bytes]
//
// Scales come first so that a sequential read (and its prefetch) meets them before the codes of
// the same panel. The codes of one (panel, block) are V = G*bits/32 vectors of 4R bytes. Byte
// 4*i + m of vector j belongs to row i of the panel; its 8/bits code slots p hold element
//   k = j * span + 4 * p + m,    span = 4 * 8 / bits (16 for 2-bit, 32 for 1-bit)
// at bits [p*bits, p*bits + bits). So shifting a whole vector right by p*bits and masking gives,
// in every 32-bit lane i, the codes of row i for 4 consecutive elements k0..k0+3: exactly the
// operand shape of vpdpbusd / vpmaddubsw against 4 activation bytes broadcast to every lane.
// Ternary codes are stored as 2-bit fields (0..3, value code - 1), whatever the file's encoding;
// the sign family stores its bits (the kernels expand bit b to code 2b, value 2b - 1, so both
// families share the offset arithmetic).
//
// Septet panels (PackedCodes::septets, for ternary types stored in under 2 bits a weight, so that
// PTQ1_0's kernels also read fewer bytes than Q2_0's): the 4 codes that one byte of a 2-bit field
// vector would hold (planes p = 0..3) in 7 bits,
//   v = c_0 + 3 c_1 + 9 c_2 (0..26) in bits 0-4,  c_3 in bits 5-6,
// 1.75 bits a weight. Vector j of a block is 4R septets in 7R/2 bytes: septet n = 4 i + m (row i,
// slot m) at bits [7n, 7n + 7) of the vector, its plane p being element k = j * 16 + 4 * p + m as in
// the field layout. A kernel spreads each 7 bytes to a 64-bit lane and shifts each septet into a
// byte of its own; a 32-entry table lookup then gives c_0, c_1, c_2 and a shift c_3.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/matmul.h"

namespace trit::kernels {

// How a panel stores its codes (see above).
enum class PackedCodes { fields2, fields1, septets };

struct PackedLayout {
  int rows_per_panel = 16;  // R
  int group = 128;          // G elements per block
  PackedCodes codes = PackedCodes::fields2;
  int bits = 2;             // bits per code of the field layouts: 2 (Q2_0) or 1 (Q1_0); septets: 0
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t blocks = 0;       // cols / G
  int64_t panels = 0;       // ceil(rows / R)

  // always_inline: these are also called from the wide-ISA files, which must not emit
  // out-of-line copies the linker could share with portable code (see activations.h).
  [[gnu::always_inline]] size_t vector_bytes() const { return static_cast<size_t>(4 * rows_per_panel); }
  // The codes of one (panel, block): G / (32 / bits) field vectors, or G / 16 septet vectors.
  [[gnu::always_inline]] size_t block_code_bytes() const {
    const size_t weights = static_cast<size_t>(rows_per_panel) * group;
    return codes == PackedCodes::septets ? weights * 7 / 32 : weights * bits / 8;
  }
  [[gnu::always_inline]] size_t septet_vector_bytes() const { return static_cast<size_t>(rows_per_panel) * 7 / 2; }
  [[gnu::always_inline]] size_t scale_bytes() const { return (static_cast<size_t>(blocks) * rows_per_panel * 2 + 63) / 64 * 64; }
  [[gnu::always_inline]] size_t panel_bytes() const { return scale_bytes() + static_cast<size_t>(blocks) * block_code_bytes(); }
  [[gnu::always_inline]] size_t total_bytes() const { return panel_bytes() * static_cast<size_t>(panels); }
};

// The layout of w (a matrix of a ternary or sign type) in panels of R rows with `codes`; fails
// where the type cannot be stored that way (sign bits as ternary codes or the reverse, a group
// that is not a whole number of vectors).
PackedLayout packed_layout_for(const MatrixView& w, int rows_per_panel, PackedCodes codes);
// The panel code layouts a coded type can use, best first: septets for ternary types stored in
// under 2 bits a weight (fewer bytes to read), then 2-bit fields; the sign family's bits.
// A kernel set offers kernels for some of them (KernelSet::packed_ternary).
struct PackedCodesChoice {
  PackedCodes codes[2];
  int count;
};
PackedCodesChoice packed_codes_for(const formats::TypeInfo& type);

// Writes the packed form of w (a matrix of a ternary or sign type) to dst (layout.total_bytes()).
// Payloads already in 2-bit or 1-bit fields are transposed a word at a time; any other layout is
// decoded through its TypeInfo::decode_codes.
void pack_ternary(const MatrixView& w, const PackedLayout& layout, uint8_t* dst);

}  // namespace trit::kernels
