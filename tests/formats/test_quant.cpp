// Block formats: reference quantize/dequantize round trips. Q2_0 (both groups) must be lossless
// on ternary x f16-scale rows: quantize(dequantize(bytes)) == bytes (the model card's claim);
// Q1_0 likewise on +-s rows; Q8_0 and the float rows within their precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "formats/fp16.h"
#include "formats/q1_0.h"
#include "formats/q2_0.h"
#include "formats/q8_0.h"
#include "formats/type_info.h"

using namespace trit::formats;

namespace {

// Random valid blocks of a ternary Q2_0 row: codes 0..2 only, a random positive normal f16
// scale per block (a few blocks all-zero codes or scale 0, which must survive too).
std::vector<uint8_t> random_q2_row(int group, int64_t n, std::mt19937& rng, bool allow_degenerate) {
  const size_t block_bytes = 2 + group / 4;
  std::vector<uint8_t> bytes(n / group * block_bytes);
  std::uniform_int_distribution<int> code(0, 2), exp(1, 30), mant(0, 1023), pick(0, 15);
  for (int64_t b = 0; b < n / group; ++b) {
    uint8_t* block = bytes.data() + b * block_bytes;
    uint16_t d = static_cast<uint16_t>(exp(rng) << 10 | mant(rng));
    int kind = allow_degenerate ? pick(rng) : 1;
    if (kind == 0) d = 0;  // zero scale: every element 0; stored as scale 0, codes 1
    std::memcpy(block, &d, 2);
    for (int j = 0; j < group; ++j) {
      int c = kind == 0 || kind == 15 ? 1 : code(rng);  // 15: all-zero codes
      if (j == 0 && kind != 0 && kind != 15) c = 0;     // at least one -1 reaches amax
      block[2 + j / 4] |= static_cast<uint8_t>(c << (2 * (j % 4)));
    }
    if (kind == 15) std::memset(block, 0, 2);  // all-zero codes carry scale 0 as a quantizer makes them
  }
  return bytes;
}

template <int Group>
void check_q2_lossless(const TypeInfo& type) {
  std::mt19937 rng(42 + Group);
  for (int64_t n : {int64_t(Group), int64_t(Group) * 7, int64_t(4096)}) {
    std::vector<uint8_t> original = random_q2_row(Group, n, rng, true);
    std::vector<float> values(n);
    type.dequantize_row(original.data(), values.data(), n);
    std::vector<uint8_t> again(original.size(), 0xAA);
    type.quantize_row(values.data(), again.data(), n);
    ASSERT_EQ(again, original) << type.name << " n=" << n;
  }
}

}  // namespace

TEST(Q2_0, Group128LosslessOnTernaryRows) { check_q2_lossless<128>(*type_by_name("q2_0")); }
TEST(Q2_0, Group64LosslessOnTernaryRows) { check_q2_lossless<64>(*type_by_name("q2_0_g64")); }
TEST(Q2_0, Pq2_0IsTheGroup128Layout) { check_q2_lossless<128>(*type_by_name("pq2_0")); }

TEST(Q2_0, DequantizeFollowsTheLayout) {
  // Element j is bits 2*(j%4) of byte j/4; value (code - 1) * d; code 3 means +2.
  BlockQ2_0<64> block{};
  block.d = f32_to_fp16(0.5f);
  block.qs[0] = 0b11100100;  // codes 0,1,2,3 for elements 0..3
  block.qs[15] = 0b10000000; // element 63: code 2
  std::vector<float> out(64);
  dequantize_row_q2_0_g64(&block, out.data(), 64);
  EXPECT_EQ(out[0], -0.5f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], 0.5f);
  EXPECT_EQ(out[3], 1.0f);
  EXPECT_EQ(out[4], -0.5f);  // code 0 in untouched bytes
  EXPECT_EQ(out[63], 0.5f);
}

TEST(Q2_0, QuantizeRoundsGeneralValues) {
  // Not ternary: scale = max |x| (as f16), codes round(x / d) + 1 clamped.
  std::vector<float> x(128, 0.0f);
  x[0] = 2.0f;
  x[1] = -2.0f;
  x[2] = 0.9f;   // 0.45 -> 0
  x[3] = 1.1f;   // 0.55 -> +1
  x[4] = -1.1f;  // -> -1
  x[6] = 1.0f;   // exactly 0.5: ties round away from zero, as llama.cpp's reference -> +1
  x[7] = -1.0f;  // -> -1
  BlockQ2_0<128> block{};
  quantize_row_q2_0_g128(x.data(), &block, 128);
  EXPECT_EQ(fp16_to_f32(block.d), 2.0f);
  EXPECT_EQ(q2_0_code(block.qs, 0), 2);
  EXPECT_EQ(q2_0_code(block.qs, 1), 0);
  EXPECT_EQ(q2_0_code(block.qs, 2), 1);
  EXPECT_EQ(q2_0_code(block.qs, 3), 2);
  EXPECT_EQ(q2_0_code(block.qs, 4), 0);
  EXPECT_EQ(q2_0_code(block.qs, 5), 1);
  EXPECT_EQ(q2_0_code(block.qs, 6), 2);
  EXPECT_EQ(q2_0_code(block.qs, 7), 0);
}

TEST(Q1_0, LosslessOnSignRows) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> bit(0, 1), exp(1, 29), mant(0, 1023);
  const int64_t n = 128 * 9;
  std::vector<uint8_t> original(n / 128 * sizeof(BlockQ1_0));
  for (int64_t b = 0; b < n / 128; ++b) {
    BlockQ1_0 block{};
    block.d = static_cast<uint16_t>(exp(rng) << 10 | mant(rng));
    for (int j = 0; j < 128; ++j) block.bits[j / 8] |= static_cast<uint8_t>(bit(rng) << (j % 8));
    std::memcpy(original.data() + b * sizeof block, &block, sizeof block);
  }
  const TypeInfo& t = *type_by_name("q1_0");
  std::vector<float> values(n);
  t.dequantize_row(original.data(), values.data(), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_NE(values[i], 0.0f);
  std::vector<uint8_t> again(original.size());
  t.quantize_row(values.data(), again.data(), n);
  EXPECT_EQ(again, original);
}

TEST(Q8_0, RoundTripWithinHalfAStep) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int64_t n = 32 * 33;
  std::vector<float> x(n), y(n);
  for (float& v : x) v = dist(rng);
  const TypeInfo& t = *type_by_name("q8_0");
  std::vector<uint8_t> bytes(t.bytes_for(n));
  t.quantize_row(x.data(), bytes.data(), n);
  t.dequantize_row(bytes.data(), y.data(), n);
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[b * 32 + j]));
    // The stored step is amax / 127 rounded to f16: half a step plus that rounding at |q| <= 127.
    float step = fp16_to_f32(reinterpret_cast<const BlockQ8_0*>(bytes.data())[b].d);
    EXPECT_NEAR(step, amax / 127.0f, amax / 127.0f / 1000.0f);
    for (int j = 0; j < 32; ++j)
      ASSERT_LE(std::fabs(x[b * 32 + j] - y[b * 32 + j]), 0.5f * step + 127.0f * std::fabs(step - amax / 127.0f) + 1e-6f);
  }
  // And bytes -> values -> bytes is stable.
  std::vector<uint8_t> again(bytes.size());
  t.quantize_row(y.data(), again.data(), n);
  EXPECT_EQ(again, bytes);
}

TEST(FloatRows, RoundTrips) {
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -2.5f, 3.14159f, 1e-7f, 65504.0f, -1e-3f};
  for (const char* name : {"f32", "f16", "bf16"}) {
    const TypeInfo& t = *type_by_name(name);
    std::vector<uint8_t> bytes(t.bytes_for(x.size()));
    std::vector<float> y(x.size()), z(x.size());
    t.quantize_row(x.data(), bytes.data(), x.size());
    t.dequantize_row(bytes.data(), y.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      float tol = std::string(name) == "f32" ? 0.0f : std::fabs(x[i]) * (std::string(name) == "f16" ? 1e-3f : 4e-3f) + 6e-8f;
      EXPECT_LE(std::fabs(x[i] - y[i]), tol) << name << " " << x[i];
    }
    // Values that are exactly representable come back bit for bit.
    std::vector<uint8_t> again(bytes.size());
    t.quantize_row(y.data(), again.data(), y.size());
    EXPECT_EQ(again, bytes) << name;
  }
}

TEST(Registry, NamesIdsAndSizes) {
  EXPECT_EQ(type_by_name("Q2_0")->format, Format::q2_0_g128);
  EXPECT_EQ(type_by_name("q2_0_G64")->format, Format::q2_0_g64);
  EXPECT_EQ(type_by_name("F16")->ggml_id, 1u);
  EXPECT_EQ(type_by_name("bf16")->ggml_id, 30u);
  EXPECT_EQ(type_by_name("q1_0")->ggml_id, 41u);
  EXPECT_EQ(type_by_name("pq2_0")->ggml_id, 142u);
  EXPECT_EQ(type_by_name("nonsense"), nullptr);
  EXPECT_EQ(type_by_name(""), nullptr);
  // Id 42 resolves to group 128 until a file's extents say otherwise.
  EXPECT_EQ(type_by_ggml_id(42)->block_size, 128);
  EXPECT_EQ(type_by_ggml_id(42)->block_bytes, 34);
  EXPECT_EQ(type_by_format(Format::q2_0_g64)->block_bytes, 18);
  EXPECT_EQ(type_by_ggml_id(12345), nullptr);
  EXPECT_DOUBLE_EQ(type_by_name("q2_0")->bits_per_weight(), 2.125);
  EXPECT_DOUBLE_EQ(type_by_name("q2_0_g64")->bits_per_weight(), 2.25);
  EXPECT_DOUBLE_EQ(type_by_name("q1_0")->bits_per_weight(), 1.125);
  EXPECT_EQ(type_by_name("q8_0")->bytes_for(64), 68u);
  // Every computable type has both row functions; ids are unique except the shared 42.
  for (const TypeInfo* t : all_types()) {
    if (!t->computable()) continue;
    EXPECT_NE(t->dequantize_row, nullptr) << t->name;
    EXPECT_NE(t->quantize_row, nullptr) << t->name;
    for (const TypeInfo* u : all_types())
      if (t != u && t->ggml_id == u->ggml_id) {
        EXPECT_EQ(t->ggml_id, 42u) << t->name << " " << u->name;
      }
  }
}

TEST(Registry, CodedTypesHaveTheirBlockCodecs) {
  for (const TypeInfo* t : all_types())
    if (t->coded()) {
      EXPECT_NE(t->decode_codes, nullptr) << t->name;
      EXPECT_NE(t->encode_codes, nullptr) << t->name;
      EXPECT_NE(t->dequantize_row, nullptr) << t->name;
    }
}

TEST(Registry, FileTypesAsLlamaCppAndThePrismMlForkNumberThem) {
  // general.file_type of a file mostly of each type trit writes (quantize, mkmodel).
  const std::pair<const char*, uint32_t> expected[] = {{"f32", 0},   {"f16", 1},   {"q8_0", 7},
                                                       {"bf16", 32}, {"q1_0", 40}, {"q2_0", 41},
                                                       {"q2_0_g64", 41}, {"pq2_0", 141}};
  for (const auto& [name, file_type] : expected) EXPECT_EQ(type_by_name(name)->file_type, file_type) << name;
  // PQ2_0 files say 141 (142 in older ones, which load the same: the reader does not depend on it).
  // Types trit only reads have none.
  EXPECT_EQ(type_by_name("q4_k")->file_type, kNoFileType);
  for (const TypeInfo* t : all_types()) {
    if (!t->computable()) {
      EXPECT_EQ(t->file_type, kNoFileType) << t->name;
    }
  }
}
