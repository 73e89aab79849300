#include "model/reference_qwen35.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/reference_math.h"

namespace trit::test {
namespace {

double softplus(double x) { return std::log1p(std::exp(x)); }

Vec slice(const Vec& v, int64_t begin, int64_t n) { return Vec(v.begin() + begin, v.begin() + begin + n); }
void put(Vec& v, int64_t begin, const Vec& part) { std::copy(part.begin(), part.end(), v.begin() + begin); }

// x / max(|x|, eps)
Vec l2_normalize(const Vec& x, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double n = std::max(std::sqrt(ss), eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] / n;
  return out;
}

}  // namespace

ReferenceQwen35::Matrix ReferenceQwen35::matrix(const std::string& name) const { return read_matrix(file_, name); }

ReferenceQwen35::Vec ReferenceQwen35::vector(const std::string& name) const { return read_vector(file_, name); }

ReferenceQwen35::ReferenceQwen35(const gguf::File& file, Residency residency) : file_(file) {
  const std::string p = "qwen35.";
  const int64_t mtp_layers = file.get_uint_or(p + "nextn_predict_layers", 0);
  n_layers_ = file.get_uint(p + "block_count") - mtp_layers;
  n_embd_ = file.get_uint(p + "embedding_length");
  n_ff_ = file.get_uint(p + "feed_forward_length");
  n_head_ = file.get_uint(p + "attention.head_count");
  n_head_kv_ = file.get_uint(p + "attention.head_count_kv");
  head_dim_ = file.get_uint(p + "attention.key_length");
  rope_dims_ = file.get_uint(p + "rope.dimension_count");
  rope_base_ = file.get_float(p + "rope.freq_base");
  eps_ = file.get_float(p + "attention.layer_norm_rms_epsilon");
  n_k_heads_ = file.get_uint(p + "ssm.group_count");
  n_v_heads_ = file.get_uint(p + "ssm.time_step_rank");
  state_ = file.get_uint(p + "ssm.state_size");
  conv_kernel_ = file.get_uint(p + "ssm.conv_kernel");
  full_attention_interval_ = file.get_uint_or(p + "full_attention_interval", 4);
  embedding_ = matrix("token_embd.weight");
  n_vocab_ = embedding_.size();
  output_ = file.find_tensor("output.weight") ? matrix("output.weight") : embedding_;
  output_norm_ = vector("output_norm.weight");
  if (residency == Residency::all)
    for (int64_t l = 0; l < n_layers_; ++l) layers_.push_back(load_layer(l));
  if (mtp_layers > 0) {
    const std::string b = "blk." + std::to_string(n_layers_) + ".";
    has_mtp_ = true;
    mtp_.delta_net = false;
    mtp_.attn_norm = vector(b + "attn_norm.weight");
    mtp_.post_norm = vector(b + "post_attention_norm.weight");
    mtp_.gate = matrix(b + "ffn_gate.weight");
    mtp_.up = matrix(b + "ffn_up.weight");
    mtp_.down = matrix(b + "ffn_down.weight");
    mtp_.wq = matrix(b + "attn_q.weight");
    mtp_.wk = matrix(b + "attn_k.weight");
    mtp_.wv = matrix(b + "attn_v.weight");
    mtp_.wo = matrix(b + "attn_output.weight");
    mtp_.q_norm = vector(b + "attn_q_norm.weight");
    mtp_.k_norm = vector(b + "attn_k_norm.weight");
    mtp_enorm_ = vector(b + "nextn.enorm.weight");
    mtp_hnorm_ = vector(b + "nextn.hnorm.weight");
    mtp_head_norm_ = vector(b + "nextn.shared_head_norm.weight");
    mtp_eh_ = matrix(b + "nextn.eh_proj.weight");
  }
}

ReferenceQwen35::Layer ReferenceQwen35::load_layer(int64_t l) const {
  const std::string b = "blk." + std::to_string(l) + ".";
  Layer L;
  L.delta_net = (l + 1) % full_attention_interval_ != 0;
  L.attn_norm = vector(b + "attn_norm.weight");
  L.post_norm = vector(b + "post_attention_norm.weight");
  L.gate = matrix(b + "ffn_gate.weight");
  L.up = matrix(b + "ffn_up.weight");
  L.down = matrix(b + "ffn_down.weight");
  if (L.delta_net) {
    L.wqkv = matrix(b + "attn_qkv.weight");
    L.wz = matrix(b + "attn_gate.weight");
    L.wbeta = matrix(b + "ssm_beta.weight");
    L.walpha = matrix(b + "ssm_alpha.weight");
    L.wout = matrix(b + "ssm_out.weight");
    L.conv = matrix(b + "ssm_conv1d.weight");
    L.dt_bias = vector(b + "ssm_dt.bias");
    L.a = vector(b + "ssm_a");
    L.ssm_norm = vector(b + "ssm_norm.weight");
  } else {
    L.wq = matrix(b + "attn_q.weight");
    L.wk = matrix(b + "attn_k.weight");
    L.wv = matrix(b + "attn_v.weight");
    L.wo = matrix(b + "attn_output.weight");
    L.q_norm = vector(b + "attn_q_norm.weight");
    L.k_norm = vector(b + "attn_k_norm.weight");
  }
  return L;
}

// x[t] += Wo (Attn(q, k, v) * sigmoid(gate)); Wq gives per head [query | gate].
void ReferenceQwen35::attention(const Layer& L, std::vector<Vec>& x) const {
  const int64_t T = x.size(), d = head_dim_, group = n_head_ / n_head_kv_;
  std::vector<Vec> q(T, Vec(n_head_ * d)), gate(T, Vec(n_head_ * d)), k(T), v(T);
  for (int64_t t = 0; t < T; ++t) {
    const Vec n = rms_norm(x[t], L.attn_norm, eps_);
    const Vec qg = matvec(L.wq, n);
    k[t] = matvec(L.wk, n);
    v[t] = matvec(L.wv, n);
    for (int64_t h = 0; h < n_head_; ++h) {
      Vec head = rms_norm(slice(qg, 2 * h * d, d), L.q_norm, eps_);
      rope(head.data(), rope_dims_, t, rope_base_);
      put(q[t], h * d, head);
      put(gate[t], h * d, slice(qg, (2 * h + 1) * d, d));
    }
    for (int64_t h = 0; h < n_head_kv_; ++h) {
      Vec head = rms_norm(slice(k[t], h * d, d), L.k_norm, eps_);
      rope(head.data(), rope_dims_, t, rope_base_);
      put(k[t], h * d, head);
    }
  }
  for (int64_t t = 0; t < T; ++t) {
    Vec attn(n_head_ * d, 0.0);
    for (int64_t h = 0; h < n_head_; ++h) {
      const int64_t kvh = h / group;
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
    for (int64_t j = 0; j < n_head_ * d; ++j) attn[j] *= sigmoid(gate[t][j]);
    const Vec o = matvec(L.wo, attn);
    for (int64_t i = 0; i < n_embd_; ++i) x[t][i] += o[i];
  }
}

// x[t] += Wout (RMS(o_h) * ssm_norm * silu(z_h)), o from the gated delta rule over the sequence.
void ReferenceQwen35::delta_net(const Layer& L, std::vector<Vec>& x) const {
  const int64_t T = x.size(), S = state_, K = conv_kernel_, qk = n_k_heads_ * S;
  const int64_t channels = 2 * qk + n_v_heads_ * S;
  std::vector<Vec> u(T), z(T), beta(T), g(T);
  for (int64_t t = 0; t < T; ++t) {
    const Vec n = rms_norm(x[t], L.attn_norm, eps_);
    u[t] = matvec(L.wqkv, n);
    z[t] = matvec(L.wz, n);
    beta[t] = matvec(L.wbeta, n);
    g[t] = matvec(L.walpha, n);
    for (int64_t h = 0; h < n_v_heads_; ++h) {
      beta[t][h] = sigmoid(beta[t][h]);
      g[t][h] = softplus(g[t][h] + L.dt_bias[h]) * L.a[h];
    }
  }
  // Causal conv over time (inputs before the sequence are zero), then SiLU.
  std::vector<Vec> c(T, Vec(channels));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t ch = 0; ch < channels; ++ch) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t src = t - (K - 1) + k;
        if (src >= 0) sum += u[src][ch] * L.conv[ch][k];
      }
      c[t][ch] = silu(sum);
    }
  // One state S[i][j] per value head; value head h reads key head h % n_k_heads.
  std::vector<std::vector<Vec>> state(n_v_heads_, std::vector<Vec>(S, Vec(S, 0.0)));
  for (int64_t t = 0; t < T; ++t) {
    Vec y(n_v_heads_ * S);
    for (int64_t h = 0; h < n_v_heads_; ++h) {
      const int64_t kh = h % n_k_heads_;
      const Vec q = l2_normalize(slice(c[t], kh * S, S), eps_);
      const Vec k = l2_normalize(slice(c[t], qk + kh * S, S), eps_);
      const Vec v = slice(c[t], 2 * qk + h * S, S);
      std::vector<Vec>& st = state[h];
      const double decay = std::exp(g[t][h]);
      for (auto& row : st)
        for (double& s : row) s *= decay;
      Vec o(S, 0.0);
      for (int64_t j = 0; j < S; ++j) {
        double kv = 0;
        for (int64_t i = 0; i < S; ++i) kv += st[i][j] * k[i];
        const double delta = beta[t][h] * (v[j] - kv);
        for (int64_t i = 0; i < S; ++i) st[i][j] += k[i] * delta;
      }
      for (int64_t j = 0; j < S; ++j) {
        for (int64_t i = 0; i < S; ++i) o[j] += st[i][j] * q[i];
        o[j] /= std::sqrt(double(S));
      }
      const Vec normed = rms_norm(o, L.ssm_norm, eps_);
      for (int64_t j = 0; j < S; ++j) y[h * S + j] = normed[j] * silu(z[t][h * S + j]);
    }
    const Vec out = matvec(L.wout, y);
    for (int64_t i = 0; i < n_embd_; ++i) x[t][i] += out[i];
  }
}

// x += Wdown (silu(Wgate n) * (Wup n)), n = RMSNorm(x) * post_attention_norm
void ReferenceQwen35::mlp(const Layer& L, std::vector<Vec>& x) const {
  for (Vec& xt : x) {
    const Vec n = rms_norm(xt, L.post_norm, eps_);
    Vec gt = matvec(L.gate, n);
    const Vec up = matvec(L.up, n);
    for (int64_t i = 0; i < n_ff_; ++i) gt[i] = silu(gt[i]) * up[i];
    const Vec down = matvec(L.down, gt);
    for (int64_t i = 0; i < n_embd_; ++i) xt[i] += down[i];
  }
}

std::vector<ReferenceQwen35::Vec> ReferenceQwen35::residual(const std::vector<int32_t>& tokens) const {
  const int64_t T = tokens.size();
  std::vector<Vec> x(T);
  for (int64_t t = 0; t < T; ++t) x[t] = embedding_[tokens[t]];
  Layer loaded;
  for (int64_t l = 0; l < n_layers_; ++l) {
    const Layer& L = layers_.empty() ? (loaded = load_layer(l)) : layers_[l];
    if (L.delta_net)
      delta_net(L, x);
    else
      attention(L, x);
    mlp(L, x);
  }
  return x;
}

std::vector<std::vector<double>> ReferenceQwen35::forward(const std::vector<int32_t>& tokens, bool last_only) const {
  const std::vector<Vec> x = residual(tokens);
  const int64_t T = tokens.size();
  std::vector<Vec> logits;
  for (int64_t t = last_only ? T - 1 : 0; t < T; ++t) logits.push_back(matvec(output_, rms_norm(x[t], output_norm_, eps_)));
  return logits;
}

std::vector<std::vector<double>> ReferenceQwen35::hidden(const std::vector<int32_t>& tokens) const {
  std::vector<Vec> h = residual(tokens);
  for (Vec& row : h) row = rms_norm(row, output_norm_, eps_);
  return h;
}

// x_j = W_eh [RMSNorm(embed(t_j)) * enorm ; RMSNorm(h_j) * hnorm], then one attention layer and
// its MLP; logits = output RMSNorm(x_last) * shared_head_norm.
std::vector<double> ReferenceQwen35::mtp(const std::vector<int32_t>& tokens, const std::vector<Vec>& hiddens,
                                         Vec* last_hidden) const {
  if (!has_mtp_) throw std::runtime_error("the file has no MTP block");
  std::vector<Vec> x(tokens.size());
  for (size_t j = 0; j < tokens.size(); ++j) {
    Vec in = rms_norm(embedding_[tokens[j]], mtp_enorm_, eps_);
    const Vec h = rms_norm(hiddens[j], mtp_hnorm_, eps_);
    in.insert(in.end(), h.begin(), h.end());
    x[j] = matvec(mtp_eh_, in);
  }
  attention(mtp_, x);
  mlp(mtp_, x);
  const Vec normed = rms_norm(x.back(), mtp_head_norm_, eps_);
  if (last_hidden) *last_hidden = normed;
  return matvec(output_, normed);
}

std::vector<int32_t> ReferenceQwen35::greedy(std::vector<int32_t> prompt, int n) const {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    const int32_t best = argmax(forward(prompt, true).back());
    out.push_back(best);
    prompt.push_back(best);
  }
  return out;
}

}  // namespace trit::test
