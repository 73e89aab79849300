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
  if (attend_by_segment(items)) {
    attention_by_segment(slot);
  } else {
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
  }
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

// Split when the items are too few to share evenly among the threads (one sequence decoding with
// fewer kv heads than threads, or 8 kv heads on 3 threads: a thread would idle for a whole item)
// and some token's window spans more than one segment; the partials of every segment must fit the
// bound below. Items that share evenly are not split: splitting costs a little (each segment's
// partials written and merged, a cold first span per item).
bool ForwardPass::attend_by_segment(size_t items) const {
  const size_t threads = static_cast<size_t>(pool_.size());
  if (items >= 4 * threads || items % threads == 0) return false;
  int64_t segments = 1;
  for (int64_t i = 0; i < n_tokens_; ++i) segments = std::max(segments, kernels::attention_segments(positions_[i]));
  const ModelConfig& c = model_.config();
  constexpr int64_t kMaxPartialFloats = int64_t{16} << 20;  // 64 MiB
  return segments > 1 && segments * n_tokens_ * c.n_head * (c.head_dim + 2) <= kMaxPartialFloats;
}

// Flash-decoding: one work item = one segment of one kv head for a run of tokens, each writing its
// (token, head) partials for that segment; then every (token, head) merges its segments in order
// and normalises. The segments' boundaries are attend()'s, so the result is its bits.
void ForwardPass::attention_by_segment(int64_t slot) {
  const ModelConfig& c = model_.config();
  const int64_t T = n_tokens_, hd = c.head_dim, states = T * c.n_head;
  const kernels::AttentionShape shape{c.n_head, c.n_head_kv, hd};
  const int64_t group = c.n_head / c.n_head_kv;
  int64_t segments = 1;
  for (int64_t i = 0; i < T; ++i) segments = std::max(segments, kernels::attention_segments(positions_[i]));
  const int64_t per_segment = states * (hd + 2);
  if (static_cast<int64_t>(attn_partials_.size()) < segments * per_segment)
    attn_partials_.resize(static_cast<size_t>(segments * per_segment));
  auto partials = [&](int64_t segment) {
    float* acc = &attn_partials_[segment * per_segment];
    return kernels::AttentionPartials{acc, acc + states * hd, acc + states * (hd + 1)};
  };
  // Items kv-head-major within a run, segments innermost; a run's segments past its last token's are skipped.
  const size_t runs = attention_runs_.size();
  const size_t items = runs * static_cast<size_t>(c.n_head_kv * segments);
  pool_.parallel_chunks(items, 1, [&](size_t b, size_t e, int) {
    for (size_t item = b; item < e; ++item) {
      const int64_t segment = static_cast<int64_t>(item) % segments;
      const int64_t kv_head = static_cast<int64_t>(item) / segments % c.n_head_kv;
      const TokenRun& run = attention_runs_[item / static_cast<size_t>(segments * c.n_head_kv)];
      const int64_t i = run.first;
      if (segment >= kernels::attention_segments(positions_[i] + run.count - 1)) continue;
      const kernels::AttentionPartials all = partials(segment);
      const kernels::AttentionPartials rows{all.acc + i * c.n_head * hd, all.max + i * c.n_head, all.sum + i * c.n_head};
      kernels::attend_segment(&q_[i * c.q_dim()], c.q_dim(), run.count, caches_[sequence_of_[i]]->layer_view(slot), shape,
                              positions_[i], segment, rows, kv_head * group, (kv_head + 1) * group);
    }
  });
  pool_.parallel_for(static_cast<size_t>(states), 1, [&](size_t b, size_t e, int) {
    for (size_t state = b; state < e; ++state) {
      const int64_t i = static_cast<int64_t>(state) / c.n_head, h = static_cast<int64_t>(state) % c.n_head;
      const kernels::AttentionPartials total = partials(0);
      for (int64_t segment = 1; segment < kernels::attention_segments(positions_[i]); ++segment)
        kernels::merge_attention_partials(total, partials(segment), static_cast<int64_t>(state), hd);
      kernels::finish_attention(total, static_cast<int64_t>(state), hd, &attn_[i * c.q_dim() + h * hd]);
    }
  });
}

}  // namespace trit::model
