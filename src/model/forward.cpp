#include "model/forward.h"

#include <algorithm>

#include "kernels/attention.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace trit::model {

ForwardPass::ForwardPass(const Model& model, ThreadPool& pool) : model_(model), pool_(pool) {}

std::unique_ptr<SequenceMemory> ForwardPass::new_memory(int64_t capacity, kernels::KvType kv_type) const {
  return std::make_unique<KvSequence>(model_.config(), capacity, kv_type);
}

size_t ForwardPass::memory_bytes(int64_t capacity, kernels::KvType kv_type) const {
  return KvSequence::bytes_for(model_.config(), capacity, kv_type);
}

void ForwardPass::ensure_capacity(int64_t n_tokens, int64_t n_logit_rows) {
  const ModelConfig& c = model_.config();
  auto fit = [](std::vector<float>& v, int64_t n) {
    if (static_cast<int64_t>(v.size()) < n) v.resize(n);
  };
  fit(x_, n_tokens * c.n_embd);
  fit(xn_, n_tokens * c.n_embd);
  fit(q_, n_tokens * c.q_dim());
  fit(k_, n_tokens * c.kv_dim());
  fit(v_, n_tokens * c.kv_dim());
  fit(attn_, n_tokens * c.q_dim());
  fit(proj_, n_tokens * c.n_embd);
  fit(gate_, n_tokens * c.n_ff);
  fit(up_, n_tokens * c.n_ff);
  fit(logit_in_, n_logit_rows * c.n_embd);
  logits_.resize(n_logit_rows * c.n_vocab);
}

const std::vector<float>& ForwardPass::run(std::span<const SequenceStep> steps) {
  const ModelConfig& c = model_.config();
  int64_t n_tokens = 0, n_logit_rows = 0;
  for (const SequenceStep& s : steps) {
    if (s.tokens.empty()) fail("forward: a sequence in the batch has no tokens");
    if (s.memory->length() + static_cast<int64_t>(s.tokens.size()) > s.memory->capacity())
      fail("context is full: ", s.memory->length(), " + ", s.tokens.size(), " tokens exceed the context of ",
           s.memory->capacity());
    n_tokens += s.tokens.size();
    n_logit_rows += s.all_logits ? s.tokens.size() : 1;
  }
  n_tokens_ = n_tokens;
  ensure_capacity(n_tokens, n_logit_rows);
  positions_.clear();
  sequence_of_.clear();
  caches_.clear();
  for (size_t i = 0; i < steps.size(); ++i) {
    caches_.push_back(&steps[i].memory->attention_cache());
    for (size_t j = 0; j < steps[i].tokens.size(); ++j) {
      positions_.push_back(steps[i].memory->length() + static_cast<int64_t>(j));
      sequence_of_.push_back(static_cast<int64_t>(i));
    }
  }

  // Runs of consecutive tokens of one sequence, for attention.
  attention_runs_.clear();
  for (int64_t i = 0; i < n_tokens; ++i) {
    if (!attention_runs_.empty()) {
      TokenRun& last = attention_runs_.back();
      if (last.count < kAttentionRun && sequence_of_[last.first] == sequence_of_[i]) {
        ++last.count;
        continue;
      }
    }
    attention_runs_.push_back({i, 1});
  }

  // RoPE angles depend on the position only: computed once here for all layers.
  const int64_t half = c.head_dim / 2;
  rope_cos_.resize(n_tokens * half);
  rope_sin_.resize(n_tokens * half);
  pool_.parallel_for(static_cast<size_t>(n_tokens), 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::rope_angles(positions_[i], c.head_dim, c.rope_base, &rope_cos_[i * half], &rope_sin_[i * half]);
  });

  // x: [T x n_embd] token embeddings.
  int64_t t = 0;
  for (const SequenceStep& s : steps)
    for (int32_t token : s.tokens) model_.embed(token, &x_[t++ * c.n_embd]);

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& layer = model_.layers()[l];
    attention_block(layer, l);  // x += Wo . Attn(...)
    mlp_block(layer);           // x += Wdown . (silu(Wgate . n) * (Wup . n))
  }
  for (size_t i = 0; i < steps.size(); ++i)
    caches_[i]->set_length(caches_[i]->length() + static_cast<int64_t>(steps[i].tokens.size()));

  // Final norm of the rows that need logits, then the LM head: [R x n_embd] -> [R x n_vocab].
  int64_t row = 0;
  t = 0;
  for (const SequenceStep& s : steps) {
    const int64_t n = static_cast<int64_t>(s.tokens.size());
    for (int64_t j = s.all_logits ? 0 : n - 1; j < n; ++j)
      kernels::rms_norm(&x_[(t + j) * c.n_embd], model_.output_norm().data(), c.n_embd, c.rms_eps,
                        &logit_in_[row++ * c.n_embd]);
    t += n;
  }
  model_.lm_head().multiply(logit_in_.data(), n_logit_rows, logits_.data(), pool_);
  return logits_;
}

void ForwardPass::attention_block(const LayerWeights& layer, int64_t layer_index) {
  const ModelConfig& c = model_.config();
  const int64_t T = n_tokens_;
  // xn = RMSNorm(x) * attn_norm                                  [T x n_embd]
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::rms_norm(&x_[i * c.n_embd], layer.attn_norm.data(), c.n_embd, c.rms_eps, &xn_[i * c.n_embd]);
  });
  // q = Wq xn [T x q_dim], k = Wk xn [T x kv_dim], v = Wv xn [T x kv_dim]
  kernels::multiply_shared_input({layer.wq.get(), layer.wk.get(), layer.wv.get()}, xn_.data(), T,
                                 {q_.data(), k_.data(), v_.data()}, pool_);
  // Per-head RMSNorm of q and k, RoPE at each token's position, then k and v into the cache.
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      float* qi = &q_[i * c.q_dim()];
      float* ki = &k_[i * c.kv_dim()];
      kernels::rms_norm_heads(qi, layer.q_norm.data(), c.n_head, c.head_dim, c.rms_eps);
      kernels::rms_norm_heads(ki, layer.k_norm.data(), c.n_head_kv, c.head_dim, c.rms_eps);
      const float* cos_i = &rope_cos_[i * (c.head_dim / 2)];
      const float* sin_i = &rope_sin_[i * (c.head_dim / 2)];
      kernels::rope_neox(qi, c.n_head, c.head_dim, cos_i, sin_i);
      kernels::rope_neox(ki, c.n_head_kv, c.head_dim, cos_i, sin_i);
      caches_[sequence_of_[i]]->store(layer_index, positions_[i], ki, &v_[i * c.kv_dim()]);
    }
  });
  // attn = softmax(q k^T / sqrt(d), causal) v per head             [T x q_dim]
  // One work item = one kv head for a run of up to kAttentionRun consecutive tokens of one
  // sequence: their query heads on that kv head share each pass over the cache rows. Items run
  // kv-head-major, so consecutive items re-read the same head's rows from L2; later tokens of a
  // prompt attend over more rows, so items are handed out in small chunks.
  const kernels::AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim};
  const int64_t group = c.n_head / c.n_head_kv;
  const size_t runs = attention_runs_.size();
  const size_t items = runs * static_cast<size_t>(c.n_head_kv);
  const size_t chunk = std::max<size_t>(1, items / (static_cast<size_t>(pool_.size()) * 16));
  pool_.parallel_chunks(items, chunk, [&](size_t b, size_t e, int) {
    for (size_t item = b; item < e; ++item) {
      const int64_t kv_head = static_cast<int64_t>(item / runs);
      const TokenRun& run = attention_runs_[item % runs];
      const int64_t i = run.first;
      kernels::attend(&q_[i * c.q_dim()], c.q_dim(), run.count, caches_[sequence_of_[i]]->layer_view(layer_index),
                      shape, positions_[i], &attn_[i * c.q_dim()], c.q_dim(), kv_head * group, (kv_head + 1) * group);
    }
  });
  // x += Wo attn                                                  [T x n_embd]
  layer.wo->multiply(attn_.data(), T, proj_.data(), pool_);
  kernels::add_in_place(x_.data(), proj_.data(), T * c.n_embd);
}

void ForwardPass::mlp_block(const LayerWeights& layer) {
  const ModelConfig& c = model_.config();
  const int64_t T = n_tokens_;
  // xn = RMSNorm(x) * ffn_norm                                    [T x n_embd]
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::rms_norm(&x_[i * c.n_embd], layer.ffn_norm.data(), c.n_embd, c.rms_eps, &xn_[i * c.n_embd]);
  });
  // gate = Wgate xn, up = Wup xn                                  [T x n_ff]
  kernels::multiply_shared_input({layer.ffn_gate.get(), layer.ffn_up.get()}, xn_.data(), T, {gate_.data(), up_.data()},
                                 pool_);
  // gate = silu(gate) * up                                        [T x n_ff]
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) kernels::silu_mul(&gate_[i * c.n_ff], &up_[i * c.n_ff], c.n_ff, &gate_[i * c.n_ff]);
  });
  // x += Wdown gate                                               [T x n_embd]
  layer.ffn_down->multiply(gate_.data(), T, proj_.data(), pool_);
  kernels::add_in_place(x_.data(), proj_.data(), T * c.n_embd);
}

}  // namespace trit::model
