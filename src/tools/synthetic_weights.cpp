#include "tools/synthetic_weights.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "formats/fp16.h"
#include "formats/q1_0.h"
#include "formats/q2_0.h"
#include "util/error.h"

namespace trit::tools {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One random byte -> a Q2_0 code: 0 (-1) below 77, 1 (0) below 179, else 2 (+1).
struct CodeTable {
  uint8_t code[256];
  constexpr CodeTable() : code() {
    for (int r = 0; r < 256; ++r) code[r] = r < 77 ? 0 : (r < 179 ? 1 : 2);
  }
};
constexpr CodeTable kCodes;

// Rounds a positive scale to 8 significant bits (bf16 precision), then to f16 bits. For the
// scales used here (1e-3 .. 1) the result is exact in both f16 and bf16.
uint16_t scale_to_fp16(float d) {
  float rounded = formats::bf16_to_f32(formats::f32_to_bf16(d));
  return formats::f32_to_fp16(rounded);
}

}  // namespace

Rng::Rng(uint64_t seed, const std::string& stream_name) {
  uint64_t state = seed ^ fnv1a(stream_name);
  for (uint64_t& s : s_) s = splitmix64(state);
}

MatrixGenerator::MatrixGenerator(uint64_t seed, const std::string& name, int64_t cols,
                                 const formats::TypeInfo& type)
    : rng_(seed, name), cols_(cols), type_(type) {
  if (cols % 128 != 0) fail("synthetic tensor '", name, "': row length ", cols, " is not a multiple of 128");
  // Ternary weights have variance 0.6 d^2, signs d^2.
  float variance_per_d2 = type.format == formats::Format::q1_0 ? 1.0f : 0.6f;
  scale_base_ = 1.0f / std::sqrt(variance_per_d2 * static_cast<float>(cols));
}

void MatrixGenerator::ternary_row(int group, uint8_t* out) {
  const int64_t blocks = cols_ / group;
  const size_t block_bytes = 2 + group / 4;
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* block = out + b * block_bytes;
    uint16_t d = scale_to_fp16((0.5f + rng_.uniform()) * scale_base_);
    std::memcpy(block, &d, 2);
    uint8_t* qs = block + 2;
    // Each 64-bit draw gives 8 codes = 2 bytes of qs.
    for (int i = 0; i < group / 4; i += 2) {
      uint64_t r = rng_.next();
      const uint8_t* c = kCodes.code;
      qs[i] = static_cast<uint8_t>(c[r & 255] | c[(r >> 8) & 255] << 2 | c[(r >> 16) & 255] << 4 |
                                   c[(r >> 24) & 255] << 6);
      qs[i + 1] = static_cast<uint8_t>(c[(r >> 32) & 255] | c[(r >> 40) & 255] << 2 |
                                       c[(r >> 48) & 255] << 4 | c[(r >> 56) & 255] << 6);
    }
  }
}

void MatrixGenerator::sign_row(uint8_t* out) {
  for (int64_t b = 0; b < cols_ / 128; ++b) {
    formats::BlockQ1_0 block;
    block.d = scale_to_fp16((0.5f + rng_.uniform()) * scale_base_);
    uint64_t lo = rng_.next(), hi = rng_.next();
    std::memcpy(block.bits, &lo, 8);
    std::memcpy(block.bits + 8, &hi, 8);
    std::memcpy(out + b * sizeof block, &block, sizeof block);
  }
}

void MatrixGenerator::next_rows(int64_t rows, uint8_t* out) {
  const size_t row_bytes = type_.bytes_for(cols_);
  switch (type_.format) {
    case formats::Format::q2_0_g128:
      for (int64_t r = 0; r < rows; ++r) ternary_row(128, out + r * row_bytes);
      return;
    case formats::Format::q2_0_g64:
      for (int64_t r = 0; r < rows; ++r) ternary_row(64, out + r * row_bytes);
      return;
    case formats::Format::q1_0:
      for (int64_t r = 0; r < rows; ++r) sign_row(out + r * row_bytes);
      return;
    case formats::Format::f32:
    case formats::Format::f16:
    case formats::Format::bf16: {
      // The q2_0 g128 row, dequantized, then stored exactly in the float type.
      std::vector<uint8_t> q2(cols_ / 128 * sizeof(formats::BlockQ2_0<128>));
      std::vector<float> values(cols_);
      for (int64_t r = 0; r < rows; ++r) {
        ternary_row(128, q2.data());
        formats::dequantize_row_q2_0_g128(q2.data(), values.data(), cols_);
        type_.quantize_row(values.data(), out + r * row_bytes, cols_);
      }
      return;
    }
    default:
      fail("synthetic weights: type ", type_.name, " is not supported");
  }
}

void fill_norm(uint64_t seed, const std::string& name, int64_t n, float* out) {
  Rng rng(seed, name);
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f + 0.1f * (rng.uniform() - 0.5f);
}

}  // namespace trit::tools
