#include "formats/ptq1_0.h"

#include <cmath>
#include <cstring>

#include "formats/fp16.h"

namespace trit::formats {
namespace {

constexpr int kCodeBytes = 26;  // qs[24] then qh[2]

}  // namespace

// Byte by byte, in the element order of the header (the repack at load decodes every block of a
// model: a loop over elements with ptq1_0_position() per element made PTQ1_0 load 3x slower than
// Q2_0).
void decode_codes_ptq1_0(const uint8_t* block, uint8_t* codes) {
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 5; ++n) codes[16 * n + m] = static_cast<uint8_t>(ptq1_0_digit(block[m], n));
  for (int m = 0; m < 8; ++m)
    for (int n = 0; n < 5; ++n) codes[80 + 8 * n + m] = static_cast<uint8_t>(ptq1_0_digit(block[16 + m], n));
  for (int h = 0; h < 2; ++h)
    for (int n = 0; n < 4; ++n) codes[120 + 2 * n + h] = static_cast<uint8_t>(ptq1_0_digit(block[24 + h], n));
}

void encode_codes_ptq1_0(const uint8_t* codes, uint8_t* block) {
  // Digit n weighs 3^(4 - n); a qh byte's digits are 0..3, so its fifth (weight 1) stays zero.
  static constexpr int kWeight[5] = {81, 27, 9, 3, 1};
  int q[kCodeBytes] = {};
  for (int j = 0; j < 128; ++j) {
    const Ptq1_0Digit at = ptq1_0_position(j);
    q[at.byte] += (codes[j] > 2 ? 2 : codes[j]) * kWeight[at.digit];
  }
  for (int b = 0; b < kCodeBytes; ++b) block[b] = static_cast<uint8_t>((q[b] * 256 + 242) / 243);
}

void quantize_row_ptq1_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockPtq1_0*>(dst);
  uint8_t codes[128];
  for (int64_t b = 0; b < n / 128; ++b) {
    const float* x = src + b * 128;
    float amax = 0.0f;
    for (int j = 0; j < 128; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float inv = amax > 0.0f ? 1.0f / amax : 0.0f;
    for (int j = 0; j < 128; ++j) {
      const int code = static_cast<int>(std::round(x[j] * inv)) + 1;
      codes[j] = static_cast<uint8_t>(code < 0 ? 0 : (code > 2 ? 2 : code));
    }
    auto* out = reinterpret_cast<uint8_t*>(&blocks[b]);
    encode_codes_ptq1_0(codes, out);
    blocks[b].d = f32_to_fp16(amax);
  }
}

void dequantize_row_ptq1_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockPtq1_0*>(src);
  uint8_t codes[128];
  for (int64_t b = 0; b < n / 128; ++b) {
    decode_codes_ptq1_0(reinterpret_cast<const uint8_t*>(&blocks[b]), codes);
    const float d = fp16_to_f32(blocks[b].d);
    for (int j = 0; j < 128; ++j) dst[b * 128 + j] = static_cast<float>(codes[j] - 1) * d;
  }
}

}  // namespace trit::formats
