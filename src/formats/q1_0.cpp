#include "formats/q1_0.h"

#include <cmath>
#include <cstddef>
#include <cstring>

#include "formats/fp16.h"

namespace trit::formats {

void quantize_row_q1_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ1_0*>(dst);
  for (int64_t b = 0; b < n / 128; ++b) {
    const float* x = src + b * 128;
    // Summed in float, in order, as llama.cpp's reference does, so scales match it bit for bit.
    float sum = 0.0f;
    for (int j = 0; j < 128; ++j) sum += std::fabs(x[j]);
    blocks[b].d = f32_to_fp16(sum / 128.0f);
    std::memset(blocks[b].bits, 0, sizeof(blocks[b].bits));
    for (int j = 0; j < 128; ++j)
      if (x[j] >= 0.0f) blocks[b].bits[j / 8] |= static_cast<uint8_t>(1u << (j % 8));
  }
}

void decode_codes_q1_0(const uint8_t* block, uint8_t* codes) {
  const uint8_t* bits = block + offsetof(BlockQ1_0, bits);
  for (int j = 0; j < 128; ++j) codes[j] = static_cast<uint8_t>(2 * q1_0_bit(bits, j));
}

void encode_codes_q1_0(const uint8_t* codes, uint8_t* block) {
  uint8_t* bits = block + offsetof(BlockQ1_0, bits);
  std::memset(bits, 0, 16);
  for (int j = 0; j < 128; ++j)
    if (codes[j] >= 1) bits[j / 8] |= static_cast<uint8_t>(1u << (j % 8));
}

void dequantize_row_q1_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ1_0*>(src);
  for (int64_t b = 0; b < n / 128; ++b) {
    float d = fp16_to_f32(blocks[b].d);
    for (int j = 0; j < 128; ++j) dst[b * 128 + j] = q1_0_bit(blocks[b].bits, j) ? d : -d;
  }
}

}  // namespace trit::formats
