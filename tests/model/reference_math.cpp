#include "model/reference_math.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace trit::test {

Matrix read_matrix(const gguf::File& file, const std::string& name) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  if (!t) throw std::runtime_error("reference: no tensor " + name);
  const int64_t cols = t->dims[0], rows = t->rows();
  Matrix m(rows, Vec(cols));
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    t->type->dequantize_row(t->data + r * t->row_bytes(), row.data(), cols);
    for (int64_t c = 0; c < cols; ++c) m[r][c] = row[c];
  }
  return unrotate(file, name, std::move(m));
}

Vec read_vector(const gguf::File& file, const std::string& name) { return read_matrix(file, name)[0]; }

Vec rms_norm(const Vec& x, const Vec& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / x.size() + eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * s * w[i];
  return out;
}

Vec matvec(const Matrix& m, const Vec& x) {
  Vec out(m.size(), 0.0);
  for (size_t r = 0; r < m.size(); ++r)
    for (size_t c = 0; c < x.size(); ++c) out[r] += m[r][c] * x[c];
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu(double x) { return x * sigmoid(x); }

void rope(double* v, int64_t rot, int64_t pos, double base) {
  for (int64_t i = 0; i < rot / 2; ++i) {
    const double angle = pos * std::pow(base, -2.0 * i / rot);
    const double a = v[i], b = v[i + rot / 2];
    v[i] = a * std::cos(angle) - b * std::sin(angle);
    v[i + rot / 2] = a * std::sin(angle) + b * std::cos(angle);
  }
}

int32_t argmax(const Vec& v) { return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin()); }

}  // namespace trit::test
