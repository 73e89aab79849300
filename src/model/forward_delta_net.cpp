// The Gated DeltaNet mixer of qwen35 (forward.h; math in docs/formats.md and kernels/delta_net.h):
//   qkv = Wqkv xn, z = Wgate xn, beta = sigmoid(Wbeta xn), g = softplus(Walpha xn + dt_bias) * a
//   c = SiLU(causal conv1d over the sequence's last conv_kernel inputs of qkv)
//   q, k = L2-normalised heads of c; v = the value heads of c
//   o = delta rule over the sequence's state (per value head h, key head h % n_k_heads)
//   x += Wout (RMSNorm(o per head) * ssm_norm * silu(z))
#include <algorithm>

#include "kernels/delta_net.h"
#include "kernels/delta_net_ops.h"
#include "kernels/ops.h"
#include "model/forward.h"

namespace trit::model {

void ForwardPass::delta_net_block(const DeltaNetWeights& w, int64_t slot) {
  const ModelConfig& c = model_.config();
  const DeltaNetConfig& d = c.delta_net;
  const int64_t T = n_tokens_, qkv_dim = d.qkv_dim(), inner = d.inner(), nv = d.n_v_heads, hd = d.head_dim;
  const int64_t n_steps = static_cast<int64_t>(states_.size());
  multiply_input({w.wqkv.get(), w.wgate.get(), w.wbeta.get(), w.walpha.get()}, xn_.data(), T, c.n_embd,
                 {qkv_.data(), z_.data(), beta_.data(), alpha_.data()});
  // The conv runs along each sequence's tokens (in place in qkv), with that sequence's conv state.
  pool_.parallel_for(static_cast<size_t>(n_steps), 1, [&](size_t b, size_t e, int) {
    for (size_t s = b; s < e; ++s) {
      float* x = &qkv_[step_first_[s] * qkv_dim];
      kernels::causal_conv1d_silu(states_[s]->conv(slot), x, qkv_dim, step_first_[s + 1] - step_first_[s],
                                  w.conv.data(), d.conv_kernel, qkv_dim, x, qkv_dim);
    }
  });
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      float* q = &qkv_[i * qkv_dim];
      kernels::l2_norm_heads(q, d.n_k_heads, hd, c.rms_eps);
      kernels::l2_norm_heads(q + d.n_k_heads * hd, d.n_k_heads, hd, c.rms_eps);
      kernels::delta_net_gates(&alpha_[i * nv], &beta_[i * nv], w.dt_bias.data(), w.a.data(), nv, &decay_[i * nv],
                               &beta_[i * nv]);
    }
  });
  // The recurrence: one work item = one value head of one sequence over all its tokens (the
  // head's state stays in cache across them).
  const kernels::DeltaNetShape shape{d.n_k_heads, nv, hd};
  pool_.parallel_chunks(static_cast<size_t>(n_steps * nv), 1, [&](size_t b, size_t e, int) {
    for (size_t item = b; item < e; ++item) {
      const int64_t s = static_cast<int64_t>(item) / nv, h = static_cast<int64_t>(item) % nv;
      const int64_t first = step_first_[s];
      const float* q = &qkv_[first * qkv_dim];
      kernels::delta_net(states_[s]->ssm(slot), q, q + d.n_k_heads * hd, qkv_dim, q + 2 * d.n_k_heads * hd, qkv_dim,
                         &decay_[first * nv], &beta_[first * nv], nv, &delta_out_[first * inner], inner,
                         step_first_[s + 1] - first, shape, h, h + 1);
    }
  });
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::gated_rms_norm(&delta_out_[i * inner], &z_[i * inner], w.norm.data(), nv, hd, c.rms_eps,
                              &delta_out_[i * inner]);
  });
  // x += Wout y                                                   [T x n_embd]
  multiply_input({w.wout.get()}, delta_out_.data(), T, inner, {proj_.data()}, /*values_tiled=*/true);
  kernels::add_in_place(x_.data(), proj_.data(), T * c.n_embd);
}

}  // namespace trit::model
