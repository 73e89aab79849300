// PTQ1_0 (ggml type 143, the 27B Bonsai files): 128 ternary weights in 28 bytes (1.75 bits each),
// packed five base-3 digits to a byte, with the f16 scale last:
//
//   struct { uint8_t qs[24]; uint8_t qh[2]; uint16_t d; }
//
// Element order (digit n of a byte, n = 0 first):
//   elements   0..79:  element 16n + m     is digit n (0..4) of qs[m],      m < 16
//   elements  80..119: element 80 + 8n + m is digit n (0..4) of qs[16 + m], m < 8
//   elements 120..127: element 120 + 2n + h is digit n (0..3) of qh[h],    h < 2
// Digit n of byte b is t = ((uint8_t)(b * 3^n) * 3) >> 8 (the product wraps in 8 bits), t in
// {0, 1, 2}, and the weight is (t - 1) * d: the ternary code of Q2_0 with value code - 1.
// A byte stores the digits t0..t4 as q = t0 * 81 + t1 * 27 + t2 * 9 + t3 * 3 + t4 (t0 most
// significant; a qh byte holds four digits and a zero fifth), scaled to fill 8 bits:
// byte = (q * 256 + 242) / 243, so that multiplying by 3^n brings digit n to the top.
#pragma once
#include <cstdint>

namespace trit::formats {

struct BlockPtq1_0 {
  static constexpr int group = 128;
  uint8_t qs[24];
  uint8_t qh[2];
  uint16_t d;  // f16 scale
};
static_assert(sizeof(BlockPtq1_0) == 28);

// Digit n (0..4) of a packed byte.
inline int ptq1_0_digit(uint8_t byte, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  return (static_cast<uint8_t>(byte * kPow3[n]) * 3) >> 8;
}

// Element j of a block: the byte that holds it and which of its digits.
struct Ptq1_0Digit {
  int byte;   // index into the 26 code bytes (qs then qh)
  int digit;  // 0..4
};
constexpr Ptq1_0Digit ptq1_0_position(int j) {
  if (j < 80) return {j % 16, j / 16};
  if (j < 120) return {16 + (j - 80) % 8, (j - 80) / 8};
  return {24 + (j - 120) % 2, (j - 120) / 2};
}

// Codes 0..2 of one block (TypeInfo::decode_codes), and back (codes above 2 are clamped to 2).
void decode_codes_ptq1_0(const uint8_t* block, uint8_t* codes);
void encode_codes_ptq1_0(const uint8_t* codes, uint8_t* block);

// Quantization as Q2_0's: d = max |x| of the block as f16, code = round(x / max|x|) + 1 clamped to
// 0..2; lossless for blocks that are exactly t * s with ternary t and an f16 scale s.
void quantize_row_ptq1_0(const float* src, void* dst, int64_t n);
void dequantize_row_ptq1_0(const void* src, float* dst, int64_t n);

}  // namespace trit::formats
