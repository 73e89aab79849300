// The KV row store bodies (kv_rows.h) of every ISA this CPU has write the bytes the formats'
// reference quantizer writes (so a cache is the same on every machine); the generic widening gives
// the reference dequantizer's values; a quantized row stays within half a step of its input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "formats/type_info.h"
#include "kernels/isa.h"
#include "kernels/kv_rows.h"

namespace trit::kernels {
namespace {

constexpr KvType kTypes[] = {KvType::f16, KvType::f32, KvType::q8_0, KvType::q4_0};

std::vector<std::pair<std::string, StoreKvRowFn>> store_bodies() {
  std::vector<std::pair<std::string, StoreKvRowFn>> b = {{"generic", store_kv_row_generic}};
  for (Isa isa : supported_isas())
    if (isa == Isa::avx2) b.push_back({"avx2", store_kv_row_avx2});
  return b;
}

// Rows that reach the rounding edges: normal values at several magnitudes, exact halves on the
// q8_0 grid (|max| 127 makes the step 1), a q4_0 block whose extremes tie in magnitude (+8 and -8),
// all zeros, and one huge value beside tiny ones.
std::vector<std::vector<float>> sample_rows(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> rows;
  for (float magnitude : {1.0f, 0.01f, 300.0f}) {
    std::vector<float> r(n);
    for (float& x : r) x = normal(rng) * magnitude;
    rows.push_back(r);
  }
  std::vector<float> halves(n), ties(n), zeros(n, 0.0f), spike(n);
  std::uniform_int_distribution<int> step(-126, 125);
  for (int64_t i = 0; i < n; ++i) {
    halves[i] = i % 32 == 0 ? 127.0f : static_cast<float>(step(rng)) + 0.5f;
    ties[i] = i % 32 == 3 ? 8.0f : i % 32 == 20 ? -8.0f : static_cast<float>(step(rng) % 8) + 0.5f;
    spike[i] = i % 32 == 7 ? 1e4f : normal(rng) * 1e-3f;
  }
  for (auto* r : {&halves, &ties, &zeros, &spike}) rows.push_back(*r);
  return rows;
}

TEST(KvRows, EveryBodyStoresAsTheReferenceAndTheWideningReadsItBack) {
  std::mt19937 rng(11);
  for (int64_t n : {32, 64, 96, 128, 256}) {
    for (const std::vector<float>& x : sample_rows(n, rng)) {
      for (KvType type : kTypes) {
        const int64_t bytes = kv_row_bytes(type, n);
        std::vector<uint8_t> expected(bytes);
        std::vector<float> expected_values(n);
        kv_type_info(type).quantize_row(x.data(), expected.data(), n);
        kv_type_info(type).dequantize_row(expected.data(), expected_values.data(), n);
        for (const auto& [name, store] : store_bodies()) {
          std::vector<uint8_t> row(bytes, 0xAB);
          store(type, x.data(), n, row.data());
          ASSERT_EQ(row, expected) << name << " " << kv_type_name(type) << " n " << n;
        }
        // Two rows a row apart, widened together.
        std::vector<uint8_t> two(2 * bytes);
        std::copy(expected.begin(), expected.end(), two.begin());
        std::copy(expected.begin(), expected.end(), two.begin() + bytes);
        std::vector<float> out(2 * n, NAN);
        widen_kv_rows_generic(type, two.data(), bytes, 2, n, out.data());
        for (int64_t i = 0; i < 2 * n; ++i)
          ASSERT_EQ(out[i], expected_values[i % n]) << kv_type_name(type) << " n " << n << " element " << i;
      }
    }
  }
}

TEST(KvRows, QuantizedRowsStayWithinHalfAStep) {
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(256), back(256);
  for (float& v : x) v = normal(rng);
  for (KvType type : {KvType::q8_0, KvType::q4_0}) {
    std::vector<uint8_t> row(kv_row_bytes(type, 256));
    store_kv_row(type, x.data(), 256, row.data());
    widen_kv_rows_generic(type, row.data(), 0, 1, 256, back.data());
    for (int64_t b = 0; b < 8; ++b) {
      float amax = 0.0f;
      for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[b * 32 + j]));
      // q8_0: 127 steps each side; q4_0: 8 on one side. 1% for the f16 scale.
      const float step = type == KvType::q8_0 ? amax / 127.0f : amax / 8.0f;
      for (int j = 0; j < 32; ++j)
        ASSERT_LE(std::fabs(back[b * 32 + j] - x[b * 32 + j]), 0.51f * step * 1.01f)
            << kv_type_name(type) << " element " << b * 32 + j;
    }
  }
}

TEST(KvRows, NamesSizesAndFits) {
  EXPECT_EQ(kv_type_by_name("Q8_0"), KvType::q8_0);
  EXPECT_EQ(kv_type_by_name("q4_0"), KvType::q4_0);
  EXPECT_EQ(kv_type_by_name("f16"), KvType::f16);
  EXPECT_FALSE(kv_type_by_name("q4_1"));
  EXPECT_FALSE(kv_type_by_name("bf16"));
  EXPECT_EQ(kv_type_names(), "f16, f32, q8_0, q4_0");
  EXPECT_EQ(kv_types_name({KvType::q8_0, KvType::q8_0}), "q8_0");
  EXPECT_EQ(kv_types_name({KvType::q8_0, KvType::f16}), "K q8_0, V f16");
  EXPECT_EQ(kv_row_bytes(KvType::f16, 128), 256);
  EXPECT_EQ(kv_row_bytes(KvType::f32, 128), 512);
  EXPECT_EQ(kv_row_bytes(KvType::q8_0, 128), 136);
  EXPECT_EQ(kv_row_bytes(KvType::q4_0, 128), 72);
  EXPECT_TRUE(kv_type_fits(KvType::f16, 48));
  EXPECT_FALSE(kv_type_fits(KvType::q8_0, 48));
  EXPECT_TRUE(kv_type_fits(KvType::q4_0, 256));
}

}  // namespace
}  // namespace trit::kernels
