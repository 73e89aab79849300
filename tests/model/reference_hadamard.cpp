// The reference's reading of Bonsai 2's Hadamard contract (reference_math.h unrotate): the
// rotation folded back into the weights with the Walsh-Hadamard matrix written out entry by entry
// (H[r][c] = (-1)^popcount(r & c) / sqrt(B)), in f64. Written from shared/QWEN35.md, not from the
// engine (which rotates activations instead), so the two check each other.
#include <algorithm>
#include <bit>
#include <cmath>
#include <map>

#include "model/reference_math.h"

namespace trit::test {
namespace {

struct Contract {
  int64_t block = 0;
  std::map<int64_t, Vec> signs;  // width -> ±1
  std::vector<std::string> rotated, latent;
  bool grouped = false;
};

Contract read_contract(const gguf::File& f) {
  Contract c;
  const std::string p = "prism.hadamard.";
  c.block = f.get_int(p + "block_size");
  c.rotated = f.get_string_array(p + "weight_names");
  if (f.has(p + "inverse_weight_names")) c.latent = f.get_string_array(p + "inverse_weight_names");
  c.grouped = f.get_bool_or(p + "gdn_v_grouped", false);
  if (f.get_string(p + "sign_mode") == "explicit") {
    const std::vector<int64_t> widths = f.get_int_array(p + "sign_widths");
    const std::vector<float> values = f.get_float_array(p + "sign_values");
    size_t at = 0;
    for (int64_t w : widths) {
      c.signs[w] = Vec(values.begin() + at, values.begin() + at + w);
      at += w;
    }
  }
  return c;
}

double hadamard_entry(int64_t r, int64_t c, int64_t block) {
  const double h = 1.0 / std::sqrt(static_cast<double>(block));
  return std::popcount(static_cast<uint64_t>(r & c)) % 2 ? -h : h;
}

// u = H_B v, blockwise.
Vec hadamard(const Vec& v, int64_t block) {
  Vec u(v.size(), 0.0);
  for (size_t b = 0; b < v.size(); b += block)
    for (int64_t r = 0; r < block; ++r)
      for (int64_t c = 0; c < block; ++c) u[b + r] += hadamard_entry(r, c, block) * v[b + c];
  return u;
}

Vec signs_of(const Contract& c, int64_t width) {
  auto it = c.signs.find(width);
  return it == c.signs.end() ? Vec(width, 1.0) : it->second;
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Matrix unrotate(const gguf::File& f, const std::string& name, Matrix m) {
  if (!f.has("prism.hadamard.block_size")) return m;
  const Contract c = read_contract(f);
  if (listed(c.latent, name)) {
    for (Vec& row : m) {
      const Vec s = signs_of(c, row.size());
      row = hadamard(row, c.block);
      for (size_t i = 0; i < row.size(); ++i) row[i] *= s[i];
    }
    return m;
  }
  if (!listed(c.rotated, name)) return m;
  // W x = W_s H (s ⊙ P x) with (P x)[j] = x[perm[j]]: the primal row is w[perm[j]] = s[j] (H w_s)[j].
  const int64_t width = m.empty() ? 0 : static_cast<int64_t>(m[0].size());
  std::vector<int64_t> perm(width);
  for (int64_t j = 0; j < width; ++j) perm[j] = j;
  if (c.grouped && name.size() >= 14 && name.compare(name.size() - 14, 14, "ssm_out.weight") == 0) {
    const int64_t n_k = f.get_int("qwen35.ssm.group_count"), n_v = f.get_int("qwen35.ssm.time_step_rank");
    const int64_t hd = f.get_int("qwen35.ssm.state_size"), ratio = n_v / n_k;
    for (int64_t k = 0; k < n_k; ++k)
      for (int64_t r = 0; r < ratio; ++r)
        for (int64_t d = 0; d < hd; ++d) perm[d + hd * (r + ratio * k)] = d + hd * (k + n_k * r);
  }
  const Vec s = signs_of(c, width);
  for (Vec& row : m) {
    const Vec u = hadamard(row, c.block);
    Vec primal(width);
    for (int64_t j = 0; j < width; ++j) primal[perm[j]] = s[j] * u[j];
    row = std::move(primal);
  }
  return m;
}

}  // namespace trit::test
