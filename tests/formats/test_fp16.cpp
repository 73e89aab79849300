// fp16 / bf16 conversions: exhaustive half -> float -> half, float -> half against the CPU's F16C
// instructions (an independent oracle) over a dense sweep of bit patterns, and hand-checked edge
// cases: subnormals, rounding ties, overflow, inf and nan.
#include <gtest/gtest.h>
#include <cpuid.h>
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "formats/fp16.h"

using namespace trit::formats;

namespace {

__attribute__((target("f16c"))) uint16_t hw_f32_to_f16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
__attribute__((target("f16c"))) float hw_f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

// CPUID leaf 1, ECX bit 29 (portable across gcc and clang, unlike __builtin_cpu_supports("f16c")).
bool have_f16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29));
}

bool is_nan16(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

}  // namespace

TEST(Fp16, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16_to_f32(static_cast<uint16_t>(h));
    uint16_t back = f32_to_fp16(f);
    if (is_nan16(static_cast<uint16_t>(h))) {
      EXPECT_TRUE(std::isnan(f)) << h;
      EXPECT_TRUE(is_nan16(back)) << h;
    } else {
      EXPECT_EQ(back, h) << "half 0x" << std::hex << h;
    }
  }
}

TEST(Fp16, HalfToFloatMatchesF16C) {
  if (!have_f16c()) GTEST_SKIP() << "SKIPPED: this CPU has no F16C to compare with";
  for (uint32_t h = 0; h < 65536; ++h) {
    if (is_nan16(static_cast<uint16_t>(h))) continue;
    float a = fp16_to_f32(static_cast<uint16_t>(h)), b = hw_f16_to_f32(static_cast<uint16_t>(h));
    ASSERT_EQ(f32_to_bits(a), f32_to_bits(b)) << "half 0x" << std::hex << h;
  }
}

TEST(Fp16, FloatToHalfMatchesF16COnDenseSweep) {
  if (!have_f16c()) GTEST_SKIP() << "SKIPPED: this CPU has no F16C to compare with";
  // Every float whose low 8 bits are one of a few patterns (ties, just above/below ties), for every
  // exponent and sign: covers subnormal results, exact ties and overflow boundaries.
  const uint32_t lows[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xff};
  for (uint64_t hi = 0; hi < (1u << 24); ++hi) {
    for (uint32_t low : lows) {
      uint32_t bits = static_cast<uint32_t>(hi << 8) | low;
      float f = bits_to_f32(bits);
      if (std::isnan(f)) {
        ASSERT_TRUE(is_nan16(f32_to_fp16(f)));
        continue;
      }
      ASSERT_EQ(f32_to_fp16(f), hw_f32_to_f16(f)) << "float bits 0x" << std::hex << bits;
    }
  }
}

TEST(Fp16, EdgeCases) {
  EXPECT_EQ(f32_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_fp16(65504.0f), 0x7bff);          // largest finite half
  EXPECT_EQ(f32_to_fp16(65519.99f), 0x7bff);         // rounds down to max
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);          // the tie rounds to even: infinity
  EXPECT_EQ(f32_to_fp16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_fp16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_fp16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(is_nan16(f32_to_fp16(std::numeric_limits<float>::quiet_NaN())));
  // Subnormals: the smallest is 2^-24; half of it is a tie that rounds to even (zero).
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 units: tie to even (2)
  EXPECT_EQ(f32_to_fp16(std::ldexp(5.0f, -25)), 0x0002);  // 2.5 units: tie to even (2)
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  // Normal ties: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: even (1).
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(f32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
}

TEST(Bf16, EdgeCases) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  // 1 + 2^-8 is the tie between 1 and 1 + 2^-7: even (1); just above rounds up.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie, odd below: up
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to infinity
  uint16_t nan = f32_to_bf16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7f80, 0x7f80);
  EXPECT_NE(nan & 0x7f, 0);
  // A nan whose payload sits only in the low 16 bits must stay a nan, not become infinity.
  uint16_t low_nan = f32_to_bf16(bits_to_f32(0x7f800001u));
  EXPECT_NE(low_nan & 0x7f, 0);
  // Subnormal floats keep their top bits.
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x00010000u)), 0x0001);
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
}

TEST(Bf16, EveryBf16RoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    float f = bf16_to_f32(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_bf16(f), b) << std::hex << b;
  }
}
