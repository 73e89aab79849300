// Q2_0: 2-bit codes with one FP16 scale per group (docs/formats.md). Two groups share GGUF id 42:
// group 128 (34-byte blocks, the Ternary-Bonsai files; also id 142 "PQ2_0") and group 64
// (18-byte blocks, mainline llama.cpp). Element j of a block is (qs[j/4] >> 2*(j%4)) & 3 and its
// value is (code - 1) * d: codes 0,1,2,3 mean -1,0,+1,+2.
#pragma once
#include <cstdint>

namespace trit::formats {

template <int Group>
struct BlockQ2_0 {
  static constexpr int group = Group;
  uint16_t d;               // f16 scale
  uint8_t qs[Group / 4];    // four 2-bit codes per byte, element j at bits 2*(j%4) of byte j/4
};
static_assert(sizeof(BlockQ2_0<128>) == 34);
static_assert(sizeof(BlockQ2_0<64>) == 18);

inline int q2_0_code(const uint8_t* qs, int j) { return (qs[j / 4] >> (2 * (j % 4))) & 3; }

// Quantization (as llama.cpp's reference): d = max |x| over the group, stored as f16; code =
// round(x / d) + 1 (half away from zero, with the unrounded d) clamped to 0..3. For a group
// whose values are exactly t * s with ternary t and an f16 scale s (and at least one t != 0)
// this gives back d = s and the codes t + 1: the lossless round trip. A group of zeros gets
// d = 0 and code 1.
void quantize_row_q2_0_g128(const float* src, void* dst, int64_t n);
void quantize_row_q2_0_g64(const float* src, void* dst, int64_t n);
void dequantize_row_q2_0_g128(const void* src, float* dst, int64_t n);
void dequantize_row_q2_0_g64(const void* src, float* dst, int64_t n);
// One block's codes (TypeInfo::decode_codes / encode_codes).
void decode_codes_q2_0_g128(const uint8_t* block, uint8_t* codes);
void decode_codes_q2_0_g64(const uint8_t* block, uint8_t* codes);
void encode_codes_q2_0_g128(const uint8_t* codes, uint8_t* block);
void encode_codes_q2_0_g64(const uint8_t* codes, uint8_t* block);

}  // namespace trit::formats
