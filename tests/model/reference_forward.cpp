#include "model/reference_forward.h"

#include <cmath>

namespace trit::test {
namespace {

using Vec = std::vector<double>;

Vec rms_norm(const Vec& x, const Vec& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  double s = 1.0 / std::sqrt(ss / x.size() + eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * s * w[i];
  return out;
}

Vec matvec(const std::vector<Vec>& m, const Vec& x) {
  Vec out(m.size(), 0.0);
  for (size_t r = 0; r < m.size(); ++r)
    for (size_t c = 0; c < x.size(); ++c) out[r] += m[r][c] * x[c];
  return out;
}

// NEOX rotation of one head: dimension i pairs with i + d/2, angle pos * base^(-2i/d).
void rope(double* v, int64_t d, int64_t pos, double base) {
  for (int64_t i = 0; i < d / 2; ++i) {
    double angle = pos * std::pow(base, -2.0 * i / d);
    double a = v[i], b = v[i + d / 2];
    v[i] = a * std::cos(angle) - b * std::sin(angle);
    v[i + d / 2] = a * std::sin(angle) + b * std::cos(angle);
  }
}

}  // namespace

ReferenceModel::Matrix ReferenceModel::matrix(const std::string& name) const {
  const gguf::TensorInfo* t = file_.find_tensor(name);
  int64_t cols = t->dims[0], rows = t->rows();
  Matrix m(rows, Vec(cols));
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    t->type->dequantize_row(t->data + r * t->row_bytes(), row.data(), cols);
    for (int64_t c = 0; c < cols; ++c) m[r][c] = row[c];
  }
  return m;
}

Vec ReferenceModel::vector(const std::string& name) const { return matrix(name)[0]; }

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
    Vec last = forward(prompt, true).back();
    int32_t best = 0;
    for (int32_t j = 1; j < static_cast<int32_t>(last.size()); ++j)
      if (last[j] > last[best]) best = j;
    out.push_back(best);
    prompt.push_back(best);
  }
  return out;
}

}  // namespace trit::test
