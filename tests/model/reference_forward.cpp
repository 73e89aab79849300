#include "model/reference_forward.h"

#include <cmath>

#include "model/reference_math.h"

namespace trit::test {

ReferenceModel::Matrix ReferenceModel::matrix(const std::string& name) const { return read_matrix(file_, name); }

Vec ReferenceModel::vector(const std::string& name) const { return read_vector(file_, name); }

ReferenceModel::ReferenceModel(const gguf::File& file) : file_(file) {
  n_layers_ = file.get_uint("qwen3.block_count");
  n_embd_ = file.get_uint("qwen3.embedding_length");
  n_ff_ = file.get_uint("qwen3.feed_forward_length");
  n_head_ = file.get_uint("qwen3.attention.head_count");
  n_head_kv_ = file.get_uint("qwen3.attention.head_count_kv");
  head_dim_ = file.get_uint("qwen3.attention.key_length");
  rope_base_ = file.get_float("qwen3.rope.freq_base");
  eps_ = file.get_float("qwen3.attention.layer_norm_rms_epsilon");
  embedding_ = matrix("token_embd.weight");
  n_vocab_ = embedding_.size();
  output_ = file.find_tensor("output.weight") ? matrix("output.weight") : embedding_;
  output_norm_ = vector("output_norm.weight");
  for (int64_t l = 0; l < n_layers_; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    layers_.push_back({vector(p + "attn_norm.weight"), vector(p + "attn_q_norm.weight"),
                       vector(p + "attn_k_norm.weight"), vector(p + "ffn_norm.weight"), matrix(p + "attn_q.weight"),
                       matrix(p + "attn_k.weight"), matrix(p + "attn_v.weight"), matrix(p + "attn_output.weight"),
                       matrix(p + "ffn_gate.weight"), matrix(p + "ffn_up.weight"), matrix(p + "ffn_down.weight")});
  }
}

std::vector<std::vector<double>> ReferenceModel::forward(const std::vector<int32_t>& tokens, bool last_only) const {
  const int64_t T = tokens.size(), d = head_dim_, group = n_head_ / n_head_kv_;
  std::vector<Vec> x(T);
  for (int64_t t = 0; t < T; ++t) x[t] = embedding_[tokens[t]];
  for (const Layer& L : layers_) {
    // h = x + Wo . Attn(RoPE(RMSNorm_head(Wq n)), RoPE(RMSNorm_head(Wk n)), Wv n), n = RMSNorm(x)
    std::vector<Vec> q(T), k(T), v(T);
    for (int64_t t = 0; t < T; ++t) {
      Vec n = rms_norm(x[t], L.attn_norm, eps_);
      q[t] = matvec(L.wq, n);
      k[t] = matvec(L.wk, n);
      v[t] = matvec(L.wv, n);
      for (int64_t h = 0; h < n_head_; ++h) {
        Vec head(q[t].begin() + h * d, q[t].begin() + (h + 1) * d);
        head = rms_norm(head, L.q_norm, eps_);
        rope(head.data(), d, t, rope_base_);
        std::copy(head.begin(), head.end(), q[t].begin() + h * d);
      }
      for (int64_t h = 0; h < n_head_kv_; ++h) {
        Vec head(k[t].begin() + h * d, k[t].begin() + (h + 1) * d);
        head = rms_norm(head, L.k_norm, eps_);
        rope(head.data(), d, t, rope_base_);
        std::copy(head.begin(), head.end(), k[t].begin() + h * d);
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      Vec attn(n_head_ * d, 0.0);
      for (int64_t h = 0; h < n_head_; ++h) {
        int64_t kvh = h / group;
        Vec scores(t + 1);
        double max = -INFINITY;
        for (int64_t s = 0; s <= t; ++s) {
          double dot = 0;
          for (int64_t i = 0; i < d; ++i) dot += q[t][h * d + i] * k[s][kvh * d + i];
          scores[s] = dot / std::sqrt(double(d));
          max = std::max(max, scores[s]);
        }
        double sum = 0;
        for (double& s : scores) sum += s = std::exp(s - max);
        for (int64_t s = 0; s <= t; ++s)
          for (int64_t i = 0; i < d; ++i) attn[h * d + i] += scores[s] / sum * v[s][kvh * d + i];
      }
      Vec o = matvec(L.wo, attn);
      for (int64_t i = 0; i < n_embd_; ++i) x[t][i] += o[i];
    }
    // out = h + Wdown . (SiLU(Wgate n) * (Wup n)), n = RMSNorm(h)
    for (int64_t t = 0; t < T; ++t) {
      Vec n = rms_norm(x[t], L.ffn_norm, eps_);
      Vec g = matvec(L.gate, n), u = matvec(L.up, n);
      for (int64_t i = 0; i < n_ff_; ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      Vec down = matvec(L.down, g);
      for (int64_t i = 0; i < n_embd_; ++i) x[t][i] += down[i];
    }
  }
  std::vector<Vec> logits;
  for (int64_t t = last_only ? T - 1 : 0; t < T; ++t) logits.push_back(matvec(output_, rms_norm(x[t], output_norm_, eps_)));
  return logits;
}

std::vector<int32_t> ReferenceModel::greedy(std::vector<int32_t> prompt, int n) const {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    const int32_t best = argmax(forward(prompt, true).back());
    out.push_back(best);
    prompt.push_back(best);
  }
  return out;
}

}  // namespace trit::test
