// Inputs of the weight matrices (forward.h multiply_input): as they are, or rotated for the
// matrices of a Bonsai 2 file that store W · (H diag(s) P)^T (model/hadamard.h):
//   T(x) = H_B-blockwise(s_width ⊙ P(x)), one row per token.
// P is the identity except before ssm_out of a gdn_v_grouped file: the recurrence writes value
// head v = k + n_k r (tiled: head v reads key head v % n_k) and the rotated ssm_out reads them
// grouped, v' = r + (n_v / n_k) k:
//   P(x)[d + hd (r + ratio k)] = x[d + hd (k + n_k r)].
#include <algorithm>
#include <array>

#include "kernels/ops.h"
#include "model/forward.h"
#include "util/error.h"

namespace trit::model {

void ForwardPass::multiply_input(std::initializer_list<const kernels::PreparedMatrix*> ws, const float* x,
                                 int64_t rows, int64_t width, std::initializer_list<float*> ys, bool values_tiled) {
  if (!model_.rotation()) return kernels::multiply_shared_input(ws, x, rows, ys, pool_);
  constexpr size_t kMost = 4;
  if (ws.size() > kMost || ws.size() != ys.size()) fail("multiply_input: ", ws.size(), " matrices, ", ys.size(), " outputs");
  // Two groups: the matrices that read T(x) and those that read x.
  std::array<const kernels::PreparedMatrix*, kMost> rotated_w{}, plain_w{};
  std::array<float*, kMost> rotated_y{}, plain_y{};
  size_t n_rotated = 0, n_plain = 0;
  auto y = ys.begin();
  for (const kernels::PreparedMatrix* w : ws) {
    if (model_.rotates_input(w)) {
      rotated_w[n_rotated] = w;
      rotated_y[n_rotated++] = *y++;
    } else {
      plain_w[n_plain] = w;
      plain_y[n_plain++] = *y++;
    }
  }
  if (n_rotated > 0) {
    rotate_rows(x, rows, width, values_tiled);
    kernels::multiply_shared_input(std::span(rotated_w.data(), n_rotated), rotated_.data(), rows,
                                   std::span(rotated_y.data(), n_rotated), pool_);
  }
  if (n_plain > 0)
    kernels::multiply_shared_input(std::span(plain_w.data(), n_plain), x, rows, std::span(plain_y.data(), n_plain),
                                   pool_);
}

void ForwardPass::rotate_rows(const float* x, int64_t rows, int64_t width, bool values_tiled) {
  const HadamardRotation& r = *model_.rotation();
  const DeltaNetConfig& d = model_.config().delta_net;
  const bool regroup = values_tiled && r.v_grouped;
  const std::vector<float>& signs = r.signs_for(width);
  pool_.parallel_for(static_cast<size_t>(rows), 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      const float* in = x + i * width;
      float* out = &rotated_[i * width];
      if (regroup) {
        for (int64_t g = 0; g < d.n_v_heads; ++g)
          std::copy_n(in + d.head_dim * tiled_value_head(d, g), d.head_dim, out + d.head_dim * g);
      } else {
        std::copy_n(in, width, out);
      }
      kernels::hadamard_blocks(out, width, r.block, signs.data());
    }
  });
}

}  // namespace trit::model
