#include "formats/q2_0.h"

#include <cmath>
#include <cstddef>
#include <cstring>

#include "formats/fp16.h"

namespace trit::formats {
namespace {

// Mirrors the llama.cpp (PrismML fork) reference quantizer so files match it bit for bit: the
// stored scale is amax rounded to f16, but codes use the unrounded 1/amax and round half away
// from zero (so |x / amax| <= 1 and code 3 never appears; the clamp only guards it).
template <int Group>
void quantize(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ2_0<Group>*>(dst);
  for (int64_t b = 0; b < n / Group; ++b) {
    const float* x = src + b * Group;
    float amax = 0.0f;
    for (int j = 0; j < Group; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    BlockQ2_0<Group>& block = blocks[b];
    block.d = f32_to_fp16(amax);
    float inv = amax > 0.0f ? 1.0f / amax : 0.0f;
    std::memset(block.qs, 0, sizeof(block.qs));
    for (int j = 0; j < Group; ++j) {
      int code = static_cast<int>(std::round(x[j] * inv)) + 1;
      code = code < 0 ? 0 : (code > 3 ? 3 : code);
      block.qs[j / 4] |= static_cast<uint8_t>(code << (2 * (j % 4)));
    }
  }
}

template <int Group>
void dequantize(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ2_0<Group>*>(src);
  for (int64_t b = 0; b < n / Group; ++b) {
    float d = fp16_to_f32(blocks[b].d);
    for (int j = 0; j < Group; ++j)
      dst[b * Group + j] = static_cast<float>(q2_0_code(blocks[b].qs, j) - 1) * d;
  }
}

template <int Group>
void decode_codes(const uint8_t* block, uint8_t* codes) {
  const uint8_t* qs = block + offsetof(BlockQ2_0<Group>, qs);
  for (int j = 0; j < Group; ++j) codes[j] = static_cast<uint8_t>(q2_0_code(qs, j));
}

template <int Group>
void encode_codes(const uint8_t* codes, uint8_t* block) {
  uint8_t* qs = block + offsetof(BlockQ2_0<Group>, qs);
  std::memset(qs, 0, Group / 4);
  for (int j = 0; j < Group; ++j) qs[j / 4] |= static_cast<uint8_t>((codes[j] & 3) << (2 * (j % 4)));
}

}  // namespace

void decode_codes_q2_0_g128(const uint8_t* block, uint8_t* codes) { decode_codes<128>(block, codes); }
void decode_codes_q2_0_g64(const uint8_t* block, uint8_t* codes) { decode_codes<64>(block, codes); }
void encode_codes_q2_0_g128(const uint8_t* codes, uint8_t* block) { encode_codes<128>(codes, block); }
void encode_codes_q2_0_g64(const uint8_t* codes, uint8_t* block) { encode_codes<64>(codes, block); }

void quantize_row_q2_0_g128(const float* src, void* dst, int64_t n) { quantize<128>(src, dst, n); }
void quantize_row_q2_0_g64(const float* src, void* dst, int64_t n) { quantize<64>(src, dst, n); }
void dequantize_row_q2_0_g128(const void* src, float* dst, int64_t n) { dequantize<128>(src, dst, n); }
void dequantize_row_q2_0_g64(const void* src, float* dst, int64_t n) { dequantize<64>(src, dst, n); }

}  // namespace trit::formats
