#include "model/forward.h"

#include <algorithm>

#include "kernels/ops.h"
#include "util/error.h"

namespace trit::model {

ForwardPass::ForwardPass(const Model& model, ThreadPool& pool) : model_(model), pool_(pool) {}

std::unique_ptr<SequenceMemory> ForwardPass::new_memory(int64_t capacity, kernels::KvTypes kv_types) const {
  if (model_.config().n_delta_net_layers() > 0)
    return std::make_unique<HybridSequence>(model_.config(), capacity, kv_types);
  return std::make_unique<KvSequence>(model_.config(), capacity, kv_types);
}

std::unique_ptr<SequenceMemory> ForwardPass::new_memory(std::shared_ptr<KvPagePool> pool, int64_t capacity) const {
  if (model_.config().n_delta_net_layers() > 0)
    return std::make_unique<HybridSequence>(model_.config(), std::move(pool), capacity);
  return std::make_unique<KvSequence>(std::move(pool), capacity);
}

size_t ForwardPass::memory_bytes(int64_t capacity, kernels::KvTypes kv_types) const {
  if (model_.config().n_delta_net_layers() > 0) return HybridSequence::bytes_for(model_.config(), capacity, kv_types);
  return KvSequence::bytes_for(model_.config(), capacity, kv_types);
}

void ForwardPass::ensure_capacity(int64_t n_tokens, int64_t n_logit_rows) {
  const ModelConfig& c = model_.config();
  auto fit = [](std::vector<float>& v, int64_t n) {
    if (static_cast<int64_t>(v.size()) < n) v.resize(n);
  };
  fit(x_, n_tokens * c.n_embd);
  fit(xn_, n_tokens * c.n_embd);
  if (c.gated_attention) {
    fit(qg_, n_tokens * 2 * c.q_dim());
    fit(attn_gate_, n_tokens * c.q_dim());
  }
  fit(q_, n_tokens * c.q_dim());
  fit(k_, n_tokens * c.kv_dim());
  fit(v_, n_tokens * c.kv_dim());
  fit(attn_, n_tokens * c.q_dim());
  if (c.n_delta_net_layers() > 0) {
    const DeltaNetConfig& d = c.delta_net;
    fit(qkv_, n_tokens * d.qkv_dim());
    fit(z_, n_tokens * d.inner());
    fit(beta_, n_tokens * d.n_v_heads);
    fit(alpha_, n_tokens * d.n_v_heads);
    fit(decay_, n_tokens * d.n_v_heads);
    fit(delta_out_, n_tokens * d.inner());
  }
  fit(proj_, n_tokens * c.n_embd);
  fit(gate_, n_tokens * c.n_ff);
  fit(up_, n_tokens * c.n_ff);
  fit(logit_in_, n_logit_rows * c.n_embd);
  if (model_.rotation()) {
    const int64_t widest = std::max({c.n_embd, c.n_ff, c.q_dim(), c.delta_net.inner()});
    fit(rotated_, std::max(n_tokens, n_logit_rows) * widest);
  }
  logits_.resize(n_logit_rows * c.n_vocab);
}

void ForwardPass::begin_step(std::span<const SequenceStep> steps, bool recurrent_layers) {
  const ModelConfig& c = model_.config();
  int64_t n_tokens = 0, n_logit_rows = 0;
  for (const SequenceStep& s : steps) {
    if (s.tokens.empty()) fail("forward: a sequence in the batch has no tokens");
    if (s.memory->length() + static_cast<int64_t>(s.tokens.size()) > s.memory->capacity())
      fail("context is full: ", s.memory->length(), " + ", s.tokens.size(), " tokens exceed the context of ",
           s.memory->capacity());
    if (recurrent_layers && c.n_delta_net_layers() > 0 && !s.memory->delta_net_state())
      fail("forward: this model has Gated DeltaNet layers, and a sequence's memory holds no recurrent state");
    n_tokens += s.tokens.size();
    n_logit_rows += s.all_logits ? s.tokens.size() : 1;
  }
  n_tokens_ = n_tokens;
  ensure_capacity(n_tokens, n_logit_rows);
  positions_.clear();
  sequence_of_.clear();
  caches_.clear();
  states_.clear();
  draft_points_.clear();
  step_first_.assign(1, 0);
  for (size_t i = 0; i < steps.size(); ++i) {
    KvSequence& cache = steps[i].memory->attention_cache();
    if (!cache.reserve(cache.length() + static_cast<int64_t>(steps[i].tokens.size())))
      fail(cache.pool().full_message(cache.pages_needed(cache.length() + static_cast<int64_t>(steps[i].tokens.size()))));
    caches_.push_back(&cache);
    states_.push_back(steps[i].memory->delta_net_state());
    draft_points_.push_back(recurrent_layers ? steps[i].memory->draft_point_to_fill() : nullptr);
    for (size_t j = 0; j < steps[i].tokens.size(); ++j) {
      positions_.push_back(steps[i].memory->length() + static_cast<int64_t>(j));
      sequence_of_.push_back(static_cast<int64_t>(i));
    }
    step_first_.push_back(static_cast<int64_t>(positions_.size()));
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
  const int64_t half = c.rope_dims / 2;
  rope_cos_.resize(n_tokens * half);
  rope_sin_.resize(n_tokens * half);
  pool_.parallel_for(static_cast<size_t>(n_tokens), 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::rope_angles(positions_[i], c.rope_dims, c.rope_base, &rope_cos_[i * half], &rope_sin_[i * half]);
  });
}

const std::vector<float>& ForwardPass::run(std::span<const SequenceStep> steps) {
  const ModelConfig& c = model_.config();
  begin_step(steps, true);

  // x: [T x n_embd] token embeddings.
  int64_t t = 0;
  for (const SequenceStep& s : steps)
    for (int32_t token : s.tokens) model_.embed(token, &x_[t++ * c.n_embd]);

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& layer = model_.layers()[l];
    normalize_input(layer.attn_norm);  // xn = RMSNorm(x) * attn_norm
    if (c.is_delta_net(l))
      delta_net_block(layer.delta_net, c.slot_of(l));  // x += Wout . GatedDeltaNet(xn)
    else
      attention_block(layer.attention, c.slot_of(l));  // x += Wo . Attn(xn)
    mlp_block(layer);  // x += Wdown . (silu(Wgate . n) * (Wup . n))
  }
  for (size_t i = 0; i < steps.size(); ++i)
    caches_[i]->set_length(caches_[i]->length() + static_cast<int64_t>(steps[i].tokens.size()));

  // The final hidden state (RMSNorm(x) * output_norm) of every token, for a sequence whose
  // multi-token-prediction drafter keeps them (hidden_rows.h).
  for (size_t i = 0; i < steps.size(); ++i) {
    HiddenRows& kept = steps[i].memory->hidden_rows();
    if (!kept.kept()) continue;
    for (int64_t j = step_first_[i]; j < step_first_[i + 1]; ++j)
      kernels::rms_norm(&x_[j * c.n_embd], model_.output_norm().data(), c.n_embd, c.rms_eps, kept.write(positions_[j]));
  }

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
  multiply_input({&model_.lm_head()}, logit_in_.data(), row, c.n_embd, {logits_.data()});
  return logits_;
}

void ForwardPass::normalize_input(const std::vector<float>& weight) {
  const ModelConfig& c = model_.config();
  pool_.parallel_for(n_tokens_, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i)
      kernels::rms_norm(&x_[i * c.n_embd], weight.data(), c.n_embd, c.rms_eps, &xn_[i * c.n_embd]);
  });
}

void ForwardPass::mlp_block(const LayerWeights& layer) {
  const ModelConfig& c = model_.config();
  const int64_t T = n_tokens_;
  // xn = RMSNorm(x) * ffn_norm                                    [T x n_embd]
  normalize_input(layer.ffn_norm);
  // gate = Wgate xn, up = Wup xn                                  [T x n_ff]
  multiply_input({layer.ffn_gate.get(), layer.ffn_up.get()}, xn_.data(), T, c.n_embd, {gate_.data(), up_.data()});
  // gate = silu(gate) * up                                        [T x n_ff]
  pool_.parallel_for(T, 1, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) kernels::silu_mul(&gate_[i * c.n_ff], &up_[i * c.n_ff], c.n_ff, &gate_[i * c.n_ff]);
  });
  // x += Wdown gate                                               [T x n_embd]
  multiply_input({layer.ffn_down.get()}, gate_.data(), T, c.n_ff, {proj_.data()});
  kernels::add_in_place(x_.data(), proj_.data(), T * c.n_embd);
}

}  // namespace trit::model
