// Q1_0 (1-bit Bonsai): blocks of 128 weights, f16 scale d then 16 bytes of sign bits. Element j
// is bit j%8 of byte j/8; its value is +d when the bit is set, else -d.
#pragma once
#include <cstdint>

namespace trit::formats {

struct BlockQ1_0 {
  static constexpr int group = 128;
  uint16_t d;
  uint8_t bits[16];
};
static_assert(sizeof(BlockQ1_0) == 18);

inline int q1_0_bit(const uint8_t* bits, int j) { return (bits[j / 8] >> (j % 8)) & 1; }

// d = mean |x| over the block (the L1-optimal scale for signs), bit = x >= 0. For values that
// are exactly +-s with an f16 scale s this reproduces s and the signs.
void quantize_row_q1_0(const float* src, void* dst, int64_t n);
void dequantize_row_q1_0(const void* src, float* dst, int64_t n);
// One block's signs as the codes the kernels see: bit b -> code 2b (value 2b - 1), and back (code >= 1
// sets the bit).
void decode_codes_q1_0(const uint8_t* block, uint8_t* codes);
void encode_codes_q1_0(const uint8_t* codes, uint8_t* block);

}  // namespace trit::formats
