#include "formats/q8_0.h"

#include <cmath>

#include "formats/fp16.h"

namespace trit::formats {

void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* x = src + b * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    float d = amax / 127.0f;
    float inv = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_fp16(d);
    // Half away from zero, as llama.cpp's reference rounds.
    for (int j = 0; j < 32; ++j) blocks[b].qs[j] = static_cast<int8_t>(std::round(x[j] * inv));
  }
}

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / 32; ++b) {
    float d = fp16_to_f32(blocks[b].d);
    for (int j = 0; j < 32; ++j) dst[b * 32 + j] = d * blocks[b].qs[j];
  }
}

}  // namespace trit::formats
