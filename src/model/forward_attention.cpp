// The full-attention mixer (forward.h). Qwen3: q = Wq xn. qwen35 (gated attention): Wq xn gives
// each head's query and an output gate side by side, and the attention output is multiplied by
// sigmoid(gate) before Wo. Both: per-head RMSNorm of q and k, RoPE on each head's first
// rope_dims, causal softmax attention over the cache (GQA).
#include <algorithm>
#include <cmath>

#include "kernels/attention.h"
#include "kernels/ops.h"
#include "model/forward.h"

namespace trit::model {

void ForwardPass::attention_block(const AttentionWeights& w, int64_t slot) {
  const ModelConfig& c = model_.config();
  const int64_t T = n_tokens_, hd = c.head_dim;
  // q = Wq xn [T x q_dim] (gated: qg = Wq xn [T x 2 q_dim]), k = Wk xn [T x kv_dim], v = Wv xn [T x kv_dim]
  multiply_input({w.wq.get(), w.wk.get(), w.wv.get()}, xn_.data(), T, c.n_embd,
                 {c.gated_attention ? qg_.data() : q_.data(), k_.data(), v_.data()});
  // Per-head RMSNorm of q and k, RoPE at each token's position, then k and v into the cache.
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      float* qi = &q_[i * c.q_dim()];
      float* ki = &k_[i * c.kv_dim()];
      if (c.gated_attention) {
        // qg row: head n = [query (hd) | gate (hd)]; split into q and the gate.
        const float* qg = &qg_[i * 2 * c.q_dim()];
        float* gate = &attn_gate_[i * c.q_dim()];
        for (int64_t n = 0; n < c.n_head; ++n) {
          std::copy_n(qg + 2 * n * hd, hd, qi + n * hd);
          std::copy_n(qg + (2 * n + 1) * hd, hd, gate + n * hd);
        }
      }
      kernels::rms_norm_heads(qi, w.q_norm.data(), c.n_head, hd, c.rms_eps);
      kernels::rms_norm_heads(ki, w.k_norm.data(), c.n_head_kv, hd, c.rms_eps);
      const float* cos_i = &rope_cos_[i * (c.rope_dims / 2)];
      const float* sin_i = &rope_sin_[i * (c.rope_dims / 2)];
      kernels::rope_neox(qi, c.n_head, hd, c.rope_dims, cos_i, sin_i);
      kernels::rope_neox(ki, c.n_head_kv, hd, c.rope_dims, cos_i, sin_i);
      caches_[sequence_of_[i]]->store(slot, positions_[i], ki, &v_[i * c.kv_dim()]);
    }
  });
  // attn = softmax(q k^T / sqrt(d), causal) v per head             [T x q_dim]
  // One work item = one kv head for a run of up to kAttentionRun consecutive tokens of one
  // sequence: their query heads on that kv head share each pass over the cache rows. Items run
  // kv-head-major, so consecutive items re-read the same head's rows from L2; later tokens of a
  // prompt attend over more rows, so items are handed out in small chunks.
  const kernels::AttentionShape shape{c.n_head, c.n_head_kv, hd};
  const int64_t group = c.n_head / c.n_head_kv;
  const size_t runs = attention_runs_.size();
  const size_t items = runs * static_cast<size_t>(c.n_head_kv);
  const size_t chunk = std::max<size_t>(1, items / (static_cast<size_t>(pool_.size()) * 16));
  pool_.parallel_chunks(items, chunk, [&](size_t b, size_t e, int) {
    for (size_t item = b; item < e; ++item) {
      const int64_t kv_head = static_cast<int64_t>(item / runs);
      const TokenRun& run = attention_runs_[item % runs];
      const int64_t i = run.first;
      kernels::attend(&q_[i * c.q_dim()], c.q_dim(), run.count, caches_[sequence_of_[i]]->layer_view(slot), shape,
                      positions_[i], &attn_[i * c.q_dim()], c.q_dim(), kv_head * group, (kv_head + 1) * group);
    }
  });
  // gated: attn *= sigmoid(gate)                                   [T x q_dim]
  if (c.gated_attention) {
    pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) {
        float* a = &attn_[i * c.q_dim()];
        const float* gate = &attn_gate_[i * c.q_dim()];
        for (int64_t j = 0; j < c.q_dim(); ++j) a[j] *= 1.0f / (1.0f + std::exp(-gate[j]));
      }
    });
  }
  // x += Wo attn                                                  [T x n_embd]
  multiply_input({w.wo.get()}, attn_.data(), T, c.q_dim(), {proj_.data()});
  kernels::add_in_place(x_.data(), proj_.data(), T * c.n_embd);
}

}  // namespace trit::model
