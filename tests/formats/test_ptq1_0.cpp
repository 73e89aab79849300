// PTQ1_0 against its definition (docs in formats/ptq1_0.h): the digit rule on every byte value, the
// element order on random blocks at every digit position, the encoder on all 243 digit strings,
// and the lossless round trip of ternary rows through quantize.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "formats/fp16.h"
#include "formats/ptq1_0.h"
#include "formats/type_info.h"

using namespace trit::formats;

namespace {

// The format's digit rule written out with plain integers: t = ((b * 3^n mod 256) * 3) >> 8.
int digit_by_definition(int byte, int n) {
  int p = 1;
  for (int i = 0; i < n; ++i) p *= 3;
  return ((byte * p) % 256 * 3) >> 8;
}

// Element j's code by the three ranges of the definition.
int code_by_definition(const uint8_t* block, int j) {
  if (j < 80) return digit_by_definition(block[j % 16], j / 16);
  if (j < 120) return digit_by_definition(block[16 + (j - 80) % 8], (j - 80) / 8);
  return digit_by_definition(block[24 + (j - 120) % 2], (j - 120) / 2);
}

}  // namespace

TEST(Ptq1_0, RegisteredWithItsSizes) {
  const TypeInfo& t = *type_by_name("ptq1_0");
  EXPECT_EQ(t.ggml_id, 143u);
  EXPECT_EQ(t.file_type, 143u);
  EXPECT_EQ(t.block_size, 128);
  EXPECT_EQ(t.block_bytes, 28);
  EXPECT_DOUBLE_EQ(t.bits_per_weight(), 1.75);
  EXPECT_EQ(t.scale_offset, 26);  // scale last
  EXPECT_EQ(type_by_ggml_id(143), &t);
}

TEST(Ptq1_0, DigitRuleOnEveryByteValue) {
  for (int b = 0; b < 256; ++b)
    for (int n = 0; n < 5; ++n) {
      ASSERT_EQ(ptq1_0_digit(static_cast<uint8_t>(b), n), digit_by_definition(b, n)) << "byte " << b << " digit " << n;
      ASSERT_LE(ptq1_0_digit(static_cast<uint8_t>(b), n), 2);
    }
}

TEST(Ptq1_0, DequantizeFollowsTheDefinitionOnRandomBlocks) {
  std::mt19937 rng(143);
  std::uniform_int_distribution<int> byte(0, 255);
  const TypeInfo& t = *type_by_name("ptq1_0");
  for (int trial = 0; trial < 200; ++trial) {
    uint8_t block[28];
    for (uint8_t& b : block) b = static_cast<uint8_t>(byte(rng));
    const uint16_t d = f32_to_fp16(0.01f + 0.001f * trial);
    std::memcpy(block + 26, &d, 2);
    float out[128];
    t.dequantize_row(block, out, 128);
    uint8_t codes[128];
    t.decode_codes(block, codes);
    for (int j = 0; j < 128; ++j) {
      const int code = code_by_definition(block, j);
      ASSERT_EQ(codes[j], code) << "element " << j;
      ASSERT_EQ(out[j], static_cast<float>(code - 1) * fp16_to_f32(d)) << "element " << j;
    }
  }
}

TEST(Ptq1_0, EncoderStoresAll243DigitStringsInEveryByte) {
  const TypeInfo& t = *type_by_name("ptq1_0");
  for (int q = 0; q < 243; ++q) {
    // Digit string q (t0 most significant) in every byte position; qh bytes hold its first four.
    int digits[5];
    for (int n = 4, v = q; n >= 0; --n, v /= 3) digits[n] = v % 3;
    uint8_t codes[128];
    for (int j = 0; j < 128; ++j) codes[j] = static_cast<uint8_t>(digits[ptq1_0_position(j).digit]);
    uint8_t block[28] = {};
    t.encode_codes(codes, block);
    uint8_t back[128];
    t.decode_codes(block, back);
    for (int j = 0; j < 128; ++j) ASSERT_EQ(back[j], codes[j]) << "digit string " << q << " element " << j;
  }
}

TEST(Ptq1_0, LosslessOnTernaryRows) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> code(0, 2);
  const TypeInfo& t = *type_by_name("ptq1_0");
  for (int64_t n : {int64_t(128), int64_t(128 * 9)}) {
    std::vector<float> row(n);
    for (int64_t b = 0; b < n / 128; ++b) {
      const float s = fp16_to_f32(f32_to_fp16(0.02f + 0.01f * static_cast<float>(b)));
      for (int j = 0; j < 128; ++j) row[b * 128 + j] = static_cast<float>(code(rng) - 1) * s;
      row[b * 128 + 5] = s;  // at least one +s so max |x| is the scale
    }
    std::vector<uint8_t> bytes(t.bytes_for(n));
    t.quantize_row(row.data(), bytes.data(), n);
    std::vector<float> back(n);
    t.dequantize_row(bytes.data(), back.data(), n);
    EXPECT_EQ(back, row) << "n=" << n;
  }
}
