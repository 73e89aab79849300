#include "matrix_fixtures.h"

#include <cmath>
#include <cstring>

#include "formats/fp16.h"

namespace trit::kernels::testing {

RandomMatrix make_random_matrix(formats::Format format, int64_t rows, int64_t cols, std::mt19937& rng) {
  return make_random_matrix(*formats::type_by_format(format), rows, cols, rng);
}

RandomMatrix make_random_matrix(const formats::TypeInfo& type, int64_t rows, int64_t cols, std::mt19937& rng) {
  RandomMatrix m;
  m.type = &type;
  m.rows = rows;
  m.cols = cols;
  const size_t row_bytes = m.type->bytes_for(static_cast<uint64_t>(cols));
  m.bytes.resize(row_bytes * static_cast<size_t>(rows));
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.01f, 0.2f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (type.coded()) {
    // Random payload bytes (every code, code 3 included where the layout can hold it) and, at the
    // type's scale offset, a random scale or (one block in eight) zero.
    const size_t bb = static_cast<size_t>(m.type->block_bytes);
    for (size_t off = 0; off < m.bytes.size(); off += bb) {
      for (size_t i = 0; i < bb; ++i) m.bytes[off + i] = static_cast<uint8_t>(byte(rng));
      const uint16_t d = byte(rng) < 32 ? 0 : formats::f32_to_fp16(scale(rng));
      std::memcpy(&m.bytes[off + static_cast<size_t>(type.scale_offset)], &d, 2);
    }
  } else {
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row) v = normal(rng);
      m.type->quantize_row(row.data(), m.bytes.data() + r * row_bytes, cols);
    }
  }
  return m;
}

std::vector<float> make_random_activations(int64_t n_tokens, int64_t cols, std::mt19937& rng) {
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 499);
  for (float& v : x) v = pick(rng) == 0 ? 10.0f * normal(rng) : normal(rng);
  if (cols >= 256)  // one all-zero 128-block in the first token: scale 0 must not produce NaN
    for (int64_t c = 128; c < 256; ++c) x[static_cast<size_t>(c)] = 0.0f;
  return x;
}

Reference reference_multiply(const RandomMatrix& m, const float* x, int64_t n_tokens, int64_t group) {
  Reference ref;
  const size_t n = static_cast<size_t>(n_tokens * m.rows);
  ref.y.assign(n, 0.0);
  ref.abs_sum.assign(n, 0.0);
  ref.quant_bound.assign(n, 0.0);
  const size_t row_bytes = m.type->bytes_for(static_cast<uint64_t>(m.cols));
  std::vector<float> w(static_cast<size_t>(m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    m.type->dequantize_row(m.bytes.data() + r * row_bytes, w.data(), m.cols);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * m.cols;
      double dot = 0, abs_sum = 0, bound = 0;
      for (int64_t c = 0; c < m.cols; ++c) {
        dot += static_cast<double>(w[c]) * xt[c];
        abs_sum += std::fabs(static_cast<double>(w[c]) * xt[c]);
      }
      if (group > 0) {
        for (int64_t b = 0; b < m.cols / group; ++b) {
          double amax = 0, wsum = 0;
          for (int64_t c = b * group; c < (b + 1) * group; ++c) {
            amax = std::fmax(amax, std::fabs(xt[c]));
            wsum += std::fabs(w[c]);
          }
          bound += amax / 127.0 / 2.0 * wsum;
        }
      }
      const size_t i = static_cast<size_t>(t * m.rows + r);
      ref.y[i] = dot;
      ref.abs_sum[i] = abs_sum;
      ref.quant_bound[i] = bound;
    }
  }
  return ref;
}

}  // namespace trit::kernels::testing
