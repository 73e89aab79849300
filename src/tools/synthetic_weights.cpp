#include "tools/synthetic_weights.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "formats/fp16.h"
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
  float variance_per_d2 = type.family == formats::Family::sign ? 1.0f : 0.6f;
  scale_base_ = 1.0f / std::sqrt(variance_per_d2 * static_cast<float>(cols));
}

void MatrixGenerator::coded_row(const formats::TypeInfo& type, uint8_t* out) {
  const int64_t group = type.block_size;
  uint8_t codes[1024];
  if (group % 8 != 0 || group > 1024) fail("synthetic weights: type ", type.name, " has blocks of ", group);
  for (int64_t b = 0; b < cols_ / group; ++b) {
    uint8_t* block = out + b * type.block_bytes;
    const uint16_t d = scale_to_fp16((0.5f + rng_.uniform()) * scale_base_);
    if (type.family == formats::Family::sign) {
      // One random bit per sign, 64 per draw, element j at bit j % 64: code 0 (-d) or 2 (+d).
      for (int64_t j = 0; j < group; j += 64) {
        const uint64_t r = rng_.next();
        for (int i = 0; i < 64 && j + i < group; ++i) codes[j + i] = static_cast<uint8_t>(2 * ((r >> i) & 1));
      }
    } else {
      // Each 64-bit draw gives 8 codes, one per byte.
      for (int64_t j = 0; j < group; j += 8) {
        const uint64_t r = rng_.next();
        for (int i = 0; i < 8; ++i) codes[j + i] = kCodes.code[(r >> (8 * i)) & 255];
      }
    }
    std::memset(block, 0, static_cast<size_t>(type.block_bytes));
    type.encode_codes(codes, block);
    std::memcpy(block + type.scale_offset, &d, 2);
  }
}

void MatrixGenerator::next_rows(int64_t rows, uint8_t* out) {
  const size_t row_bytes = type_.bytes_for(cols_);
  if (type_.coded() && type_.encode_codes) {
    for (int64_t r = 0; r < rows; ++r) coded_row(type_, out + r * row_bytes);
    return;
  }
  if (type_.format != formats::Format::f32 && type_.format != formats::Format::f16 &&
      type_.format != formats::Format::bf16)
    fail("synthetic weights: type ", type_.name, " is not supported");
  // The q2_0 g128 row, dequantized, then stored exactly in the float type.
  const formats::TypeInfo& q2 = *formats::type_by_format(formats::Format::q2_0_g128);
  std::vector<uint8_t> blocks(q2.bytes_for(cols_));
  std::vector<float> values(cols_);
  for (int64_t r = 0; r < rows; ++r) {
    coded_row(q2, blocks.data());
    q2.dequantize_row(blocks.data(), values.data(), cols_);
    type_.quantize_row(values.data(), out + r * row_bytes, cols_);
  }
}

void fill_norm(uint64_t seed, const std::string& name, int64_t n, float* out) {
  Rng rng(seed, name);
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f + 0.1f * (rng.uniform() - 0.5f);
}

void fill_ssm_a(uint64_t seed, const std::string& name, int64_t n, float* out) {
  Rng rng(seed, name);
  for (int64_t i = 0; i < n; ++i) out[i] = -std::exp(rng.uniform() * std::log(16.0f));
}

void fill_ssm_dt_bias(uint64_t seed, const std::string& name, int64_t n, float* out) {
  Rng rng(seed, name);
  const double lo = std::log(1e-3), hi = std::log(1e-1);
  for (int64_t i = 0; i < n; ++i) {
    const double dt = std::exp(lo + (hi - lo) * rng.uniform());
    out[i] = static_cast<float>(std::log(std::expm1(dt)));  // softplus(out) = log(1 + e^out) = dt
  }
}

void fill_conv1d(uint64_t seed, const std::string& name, int64_t n, float* out) {
  Rng rng(seed, name);
  for (int64_t i = 0; i < n; ++i) out[i] = (2.0f * rng.uniform() - 1.0f) * 2.0f;
}

void fill_dense_bf16(uint64_t seed, const std::string& name, int64_t cols, int64_t rows, uint16_t* out) {
  Rng rng(seed, name);
  const float half_width = std::sqrt(3.0f / static_cast<float>(cols));
  for (int64_t i = 0; i < cols * rows; ++i) out[i] = formats::f32_to_bf16((2.0f * rng.uniform() - 1.0f) * half_width);
}

}  // namespace trit::tools
