#include "formats/q4_0.h"

#include <algorithm>
#include <cmath>

#include "formats/fp16.h"

namespace trit::formats {

void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* x = src + b * 32;
    float high = x[0], low = x[0];
    for (int j = 1; j < 32; ++j) high = std::max(high, x[j]), low = std::min(low, x[j]);
    const float m = high >= -low ? high : low;
    const float d = m / -8.0f;
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_fp16(d);
    auto code = [&](float v) { return std::min(15, static_cast<int>(v * inv + 8.5f)); };
    for (int j = 0; j < 16; ++j)
      blocks[b].qs[j] = static_cast<uint8_t>(code(x[j]) | (code(x[j + 16]) << 4));
  }
}

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float d = fp16_to_f32(blocks[b].d);
    for (int j = 0; j < 16; ++j) {
      dst[b * 32 + j] = d * static_cast<float>((blocks[b].qs[j] & 0x0F) - 8);
      dst[b * 32 + j + 16] = d * static_cast<float>((blocks[b].qs[j] >> 4) - 8);
    }
  }
}

}  // namespace trit::formats
