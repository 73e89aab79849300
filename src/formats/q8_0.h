// Q8_0: blocks of 32 weights, f16 scale d then 32 signed bytes; w = d * q.
#pragma once
#include <cstdint>

namespace trit::formats {

struct BlockQ8_0 {
  static constexpr int group = 32;
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// d = max |x| / 127, q = round(x / d).
void quantize_row_q8_0(const float* src, void* dst, int64_t n);
void dequantize_row_q8_0(const void* src, float* dst, int64_t n);

}  // namespace trit::formats
