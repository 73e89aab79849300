// Q4_0 (ggml's 4-bit layout, used here for the KV cache): blocks of 32 values, f16 scale d then
// 16 bytes of 4-bit codes. Byte j holds element j in its low nibble and element j + 16 in its
// high nibble; a code c means (c - 8) * d.
#pragma once
#include <cstdint>

namespace trit::formats {

struct BlockQ4_0 {
  static constexpr int group = 32;
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

// m = the value of largest magnitude in the block (the positive one on a tie), d = m / -8, and
// c = min(15, trunc(x / d + 8.5)): m itself maps to code 0, the far end of the range (-8 d) so
// the other side keeps 7 steps. Vectorised quantizers reproduce this bit for bit.
void quantize_row_q4_0(const float* src, void* dst, int64_t n);
void dequantize_row_q4_0(const void* src, float* dst, int64_t n);

}  // namespace trit::formats
