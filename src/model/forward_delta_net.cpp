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
  // A sequence with a draft point to fill runs its first token alone, then copies the state it
  // leaves (conv inputs, each head's S) there before the rest: a run of tokens computes the same as
  // one token at a time.
  auto tokens_before_copy = [&](int64_t s) {
    const int64_t n = step_first_[s + 1] - step_first_[s];
    return draft_points_[s] ? std::min<int64_t>(n, 1) : n;
  };
  // The conv runs along each sequence's tokens (in place in qkv), with that sequence's conv state.
  pool_.parallel_for(static_cast<size_t>(n_steps), 1, [&](size_t b, size_t e, int) {
    for (size_t s = b; s < e; ++s) {
      float* conv = states_[s]->conv(slot);
      const int64_t first = step_first_[s], n = step_first_[s + 1] - first, head = tokens_before_copy(s);
      auto run = [&](int64_t from, int64_t count) {
        float* x = &qkv_[(first + from) * qkv_dim];
        kernels::causal_conv1d_silu(conv, x, qkv_dim, count, w.conv.data(), d.conv_kernel, qkv_dim, x, qkv_dim);
      };
      run(0, head);
      if (draft_points_[s]) std::copy_n(conv, states_[s]->conv_floats(), draft_points_[s]->conv(slot));
      if (head < n) run(head, n - head);
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
      float* ssm = states_[s]->ssm(slot);
      const int64_t first = step_first_[s], n = step_first_[s + 1] - first, head = tokens_before_copy(s);
      auto run = [&](int64_t from, int64_t count) {
        const int64_t t = first + from;
        const float* q = &qkv_[t * qkv_dim];
        kernels::delta_net(ssm, q, q + d.n_k_heads * hd, qkv_dim, q + 2 * d.n_k_heads * hd, qkv_dim, &decay_[t * nv],
                           &beta_[t * nv], nv, &delta_out_[t * inner], inner, count, shape, h, h + 1);
      };
      run(0, head);
      if (draft_points_[s]) std::copy_n(ssm + h * hd * hd, hd * hd, draft_points_[s]->ssm(slot) + h * hd * hd);
      if (head < n) run(head, n - head);
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
