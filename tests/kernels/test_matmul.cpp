// Every matrix kernel on every ISA this CPU runs, against the scalar f64 reference on fresh
// random inputs at odd sizes (rows and token counts that are not multiples of any tile).
//
// Tolerances:
// - float formats (f32, f16, bf16, q8_0): the kernels see the same f32 weights as the reference,
//   so the only error is f32 accumulation: 1e-5 * sum|w x| (+1e-6 absolute).
// - ternary formats: activations are rounded to int8 with one scale s_b = max|x_b| / 127 per
//   block, so each element moves by at most s_b / 2 and the output by at most
//   sum_b s_b / 2 * sum_{c in b} |w_c| (Reference::quant_bound, computed exactly per output); we
//   allow that bound * 1.01 plus f32 accumulation. The test also checks that this bound is far
//   below sum|w x| (under 10% of it) so it cannot pass vacuously, and that every SIMD ISA agrees with the generic
//   kernel (same int8 activations, exact integer dots) to 1e-5 * sum|w x|.
// - ternary formats at int8x2 (activations.h): the residual's own scale is at most s_b / 254, so
//   the bound is the int8 one / 254 (times 1.05 for the f32 rounding of the residual, ~2^-23 of
//   max|x_b| against 2^-16); the test checks this tolerance is under 0.2% of sum|w x|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>

#include "formats/fp16.h"
#include "kernels/activations.h"
#include "kernels/isa.h"
#include "kernels/kernel_set.h"
#include "kernels/matmul.h"
#include "matrix_fixtures.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace trit::kernels {
namespace {

using formats::Format;
using formats::TypeInfo;
using testing::make_random_activations;
using testing::make_random_matrix;
using testing::reference_multiply;

// Every type the matrix kernels compute with, by registry name.
const char* const kTypes[] = {"q2_0", "q2_0_g64", "pq2_0", "ptq1_0", "q1_0", "q8_0", "f16", "bf16", "f32"};

const TypeInfo* type_named(const char* name) { return formats::type_by_name(name); }

struct Shape {
  int64_t rows, blocks, n_tokens;  // cols = blocks * the format's block size (at least 128)
};

int64_t cols_for(const TypeInfo* type, int64_t blocks) {
  const int64_t bs = type->block_size;
  const int64_t unit = bs < 128 ? 128 : bs;  // float formats use 128-column units too
  return blocks * unit;
}

void check_matrix(const TypeInfo* format, Isa isa, const Shape& shape, int threads, uint32_t seed,
                  ActivationPrecision precision = ActivationPrecision::int8) {
  std::mt19937 rng(seed);
  const int64_t cols = cols_for(format, shape.blocks);
  auto m = make_random_matrix(*format, shape.rows, cols, rng);
  auto x = make_random_activations(shape.n_tokens, cols, rng);
  const int64_t group = format->coded() ? m.type->block_size : 0;
  auto ref = reference_multiply(m, x.data(), shape.n_tokens, group);

  ThreadPool pool(threads);
  auto prepared = prepare_matrix(m.view(), isa, precision);
  auto generic = prepare_matrix(m.view(), Isa::generic, precision);
  const bool two_terms = precision == ActivationPrecision::int8x2 && format->coded();
  std::vector<float> y(static_cast<size_t>(shape.n_tokens * shape.rows), NAN);
  std::vector<float> y_generic(y.size(), NAN);
  prepared->multiply(x.data(), shape.n_tokens, y.data(), pool);
  generic->multiply(x.data(), shape.n_tokens, y_generic.data(), pool);

  const std::string where = std::string(m.type->name) + " on " + isa_name(isa) + " rows=" +
                            std::to_string(shape.rows) + " cols=" + std::to_string(cols) +
                            " n=" + std::to_string(shape.n_tokens) + " threads=" + std::to_string(threads) +
                            " activations " + activation_precision_name(precision);
  double total_abs = 0, total_bound = 0;
  int failures = 0;
  for (size_t i = 0; i < y.size() && failures < 5; ++i) {
    const double accum = 1e-5 * ref.abs_sum[i] + 1e-6;
    const double bound = two_terms ? ref.quant_bound[i] / 254 * 1.05 : ref.quant_bound[i] * 1.01;
    const double tol = bound + accum;
    total_abs += ref.abs_sum[i];
    total_bound += two_terms ? tol : ref.quant_bound[i];
    if (!(std::fabs(y[i] - ref.y[i]) <= tol)) {
      ADD_FAILURE() << where << ": y[" << i << "] = " << y[i] << ", reference " << ref.y[i] << ", tolerance " << tol;
      ++failures;
    }
    if (!(std::fabs(y[i] - y_generic[i]) <= accum)) {
      ADD_FAILURE() << where << ": y[" << i << "] = " << y[i] << " but generic kernel gives " << y_generic[i];
      ++failures;
    }
  }
  if (format->coded() && total_abs > 0) {  // (a 1-block matrix may draw a zero scale: nothing to bound)
    EXPECT_LT(total_bound, (two_terms ? 0.002 : 0.1) * total_abs) << where << ": tolerance would be vacuous";
  }
  // A second call reuses the kernels' scratch buffers and must give the same answer.
  std::vector<float> again(y.size(), NAN);
  prepared->multiply(x.data(), shape.n_tokens, again.data(), pool);
  for (size_t i = 0; i < y.size(); ++i)
    if (again[i] != y[i]) {
      ADD_FAILURE() << where << ": second multiply differs at " << i;
      break;
    }
}

class MatmulTest : public ::testing::TestWithParam<std::tuple<const TypeInfo*, Isa>> {};

TEST_P(MatmulTest, MatchesScalarReferenceAtOddSizes) {
  const auto [format, isa] = GetParam();
  const Shape shapes[] = {{1, 1, 1}, {37, 3, 1}, {53, 2, 2}, {17, 5, 7}, {70, 4, 33}, {45, 2, 9}, {129, 3, 16}, {21, 2, 10}, {33, 3, 23}};
  uint32_t seed = 1234;
  for (const Shape& s : shapes)
    for (int threads : {1, 2, 3}) check_matrix(format, isa, s, threads, seed++);
}

TEST_P(MatmulTest, PromptSizedBatch) {
  const auto [format, isa] = GetParam();
  check_matrix(format, isa, {83, 4, 515}, 2, 99);
}

TEST_P(MatmulTest, LongRows) {
  const auto [format, isa] = GetParam();
  check_matrix(format, isa, {19, 77, 3}, 2, 7);  // 9856 columns: FFN-down-like rows
}

TEST_P(MatmulTest, TwoTermActivationsAreAbout250TimesCloser) {
  const auto [format, isa] = GetParam();
  const Shape shapes[] = {{37, 3, 1}, {17, 5, 7}, {70, 4, 33}, {19, 77, 2}};
  uint32_t seed = 4321;
  for (const Shape& s : shapes)
    for (int threads : {1, 3}) check_matrix(format, isa, s, threads, seed++, ActivationPrecision::int8x2);
}

std::vector<std::tuple<const TypeInfo*, Isa>> all_cases() {
  std::vector<std::tuple<const TypeInfo*, Isa>> cases;
  for (const char* name : kTypes)
    for (Isa isa : supported_isas()) cases.emplace_back(type_named(name), isa);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllKernels, MatmulTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)->name) +
                                  "_" + isa_name(std::get<1>(info.param));
                         });

TEST(Matmul, ActiveIsaHasKernelsForEveryFormat) {
  std::mt19937 rng(5);
  ThreadPool pool(2);
  for (const char* name : kTypes) {
    auto m = make_random_matrix(*type_named(name), 3, cols_for(type_named(name), 1), rng);
    EXPECT_NO_THROW(prepare_matrix(m.view())) << m.type->name;
  }
}

// A ternary type no kernel set has packed kernels for (2-bit fields in groups of 256, scale last)
// still computes exactly through its traits: the portable kernel decodes it with decode_codes and
// reads the scale at scale_offset, on every ISA (where no packed kernel matches, none is used).
void decode_g256(const uint8_t* block, uint8_t* codes) {
  for (int j = 0; j < 256; ++j) codes[j] = (block[j / 4] >> (2 * (j % 4))) & 3;
}
void dequantize_g256(const void* src, float* dst, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  uint8_t codes[256];
  for (int64_t b = 0; b < n / 256; ++b) {
    decode_g256(bytes + b * 66, codes);
    uint16_t d;
    std::memcpy(&d, bytes + b * 66 + 64, 2);
    for (int j = 0; j < 256; ++j) dst[b * 256 + j] = static_cast<float>(codes[j] - 1) * formats::fp16_to_f32(d);
  }
}

TEST(Matmul, TernaryTypeOfAnyGroupComputesThroughItsTraits) {
  const TypeInfo g256{Format::unnamed, 9999, "test_g256", 256, 66, dequantize_g256, nullptr, formats::kNoFileType,
                      formats::Family::ternary, formats::CodeLayout::encoded, 64, 0, decode_g256, nullptr};
  for (Isa isa : supported_isas()) check_matrix(&g256, isa, {37, 3, 5}, 2, 77);
}

TEST(Matmul, RejectsBadMatrices) {
  std::mt19937 rng(6);
  auto m = make_random_matrix(Format::q2_0_g128, 4, 256, rng);
  MatrixView v = m.view();
  v.cols = 200;  // not a multiple of 128
  v.row_bytes = 0;
  EXPECT_THROW(prepare_matrix(v), Error);
  v = m.view();
  v.row_bytes += 2;
  EXPECT_THROW(prepare_matrix(v), Error);
  v = m.view();
  v.type = formats::type_by_name("tq2_0");
  ASSERT_NE(v.type, nullptr);
  EXPECT_THROW(prepare_matrix(v), Error);
  v = m.view();
  v.type = nullptr;
  EXPECT_THROW(prepare_matrix(v), Error);
}

TEST(Matmul, PreparedMatrixReportsBytes) {
  std::mt19937 rng(8);
  auto m = make_random_matrix(Format::q2_0_g128, 48, 512, rng);
  for (Isa isa : supported_isas()) {
    auto p = prepare_matrix(m.view(), isa);
    EXPECT_EQ(p->view().rows, 48);
    // A pass reads the file's bytes, or a repacked copy of the same size plus alignment padding.
    EXPECT_GE(p->weight_bytes(), m.bytes.size()) << isa_name(isa);
    EXPECT_LE(p->weight_bytes(), m.bytes.size() + 4096) << isa_name(isa);
  }
}

// PTQ1_0 is repacked into septets where the set has them (1.75 bits a code plus the scales: 30
// bytes a row and block against Q2_0's 34), else into Q2_0's 2-bit fields.
TEST(Matmul, Ptq1_0RepackedReadsFewerBytesThanQ2_0WhereTheSetHasSeptets) {
  std::mt19937 rng(9);
  auto ptq = make_random_matrix(*formats::type_by_name("ptq1_0"), 48, 1280, rng);
  auto q2 = make_random_matrix(Format::q2_0_g128, 48, 1280, rng);
  for (Isa isa : supported_isas()) {
    if (isa == Isa::generic) continue;  // reads the file in place
    const size_t ptq_bytes = prepare_matrix(ptq.view(), isa)->weight_bytes();
    const size_t q2_bytes = prepare_matrix(q2.view(), isa)->weight_bytes();
    if (isa == Isa::avx512)
      EXPECT_EQ(ptq_bytes * 34, q2_bytes * 30) << "septet panels: 30 bytes a row and block";
    else
      EXPECT_EQ(ptq_bytes, q2_bytes) << isa_name(isa) << ": PTQ1_0 as 2-bit fields";
  }
}

}  // namespace
}  // namespace trit::kernels

namespace trit::kernels {
namespace {

// Every ISA's activation quantizer must give the generic one's bytes exactly (the kernels'
// cross-ISA agreement above relies on it).
TEST(Activations, EveryIsaQuantizesBitIdentically) {
  std::mt19937 rng(11);
  for (int64_t group : {64, 128}) {
    const int64_t n = 5, cols = 7 * 128;
    auto x = testing::make_random_activations(n, cols, rng);
    x[3] = 1e-30f;  // tiny values and exact ties of the rounding
    x[200] = 0.5f * 127.0f / 127.0f;
    QuantizedActivations ref;
    quantize_activations(x.data(), n, cols, group, ref);
    for (Isa isa : supported_isas()) {
      QuantizeTokensFn fn = kernel_set(isa).quantize_tokens;
      QuantizedActivations got;
      resize_activations(got, n, cols, group);
      fn(x.data(), got.out(), 0, 2);
      fn(x.data(), got.out(), 2, n);
      EXPECT_TRUE(std::equal(ref.q.begin(), ref.q.begin() + n * cols, got.q.begin())) << isa_name(isa);
      EXPECT_EQ(ref.scale, got.scale) << isa_name(isa);
      EXPECT_EQ(ref.sum, got.sum) << isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace trit::kernels
