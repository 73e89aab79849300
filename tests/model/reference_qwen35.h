// The reference forward pass of the qwen35 hybrid (Gated DeltaNet + gated attention): scalar,
// every weight dequantized to double, f64 arithmetic, each call recomputing the whole sequence
// from zero state, S kept in its textbook orientation S[i (key)][j (value)]. Written from the
// math in docs/formats.md (shared/QWEN35.md), not from the engine, so it is an independent oracle.
// Weights are dequantized once and kept (Residency::all), or, for a file whose doubles would not fit
// in memory (qwen35-small in f64 is 19 GB), one layer at a time as each call reaches it
// (Residency::layer_by_layer: the same numbers, slower, at most one layer's doubles beside the
// embedding and the LM head).
#pragma once
#include <cstdint>
#include <vector>

#include "gguf/reader.h"

namespace trit::test {

class ReferenceQwen35 {
 public:
  enum class Residency { all, layer_by_layer };
  explicit ReferenceQwen35(const gguf::File& file, Residency residency = Residency::all);

  // Logits ([n_vocab] doubles) for every position of `tokens`, or only the last one.
  std::vector<std::vector<double>> forward(const std::vector<int32_t>& tokens, bool last_only = false) const;
  std::vector<int32_t> greedy(std::vector<int32_t> prompt, int n) const;
  // The final hidden state (RMSNorm(x) * output_norm, the LM head's input) at every position.
  std::vector<std::vector<double>> hidden(const std::vector<int32_t>& tokens) const;
  // The multi-token-prediction block (files with nextn_predict_layers = 1) over rows j that pair
  // tokens[j] with hiddens[j] at positions 0, 1, ...: the last row's logits, and in
  // *last_hidden its normed output.
  std::vector<double> mtp(const std::vector<int32_t>& tokens, const std::vector<std::vector<double>>& hiddens,
                          std::vector<double>* last_hidden = nullptr) const;
  int64_t n_vocab() const { return n_vocab_; }

 private:
  using Vec = std::vector<double>;
  using Matrix = std::vector<Vec>;  // [rows][cols]
  struct Layer {
    bool delta_net;
    Vec attn_norm, post_norm;
    Matrix gate, up, down;
    // attention
    Matrix wq, wk, wv, wo;
    Vec q_norm, k_norm;
    // Gated DeltaNet
    Matrix wqkv, wz, wbeta, walpha, wout;
    Matrix conv;  // [channel][tap]
    Vec dt_bias, a, ssm_norm;
  };
  Matrix matrix(const std::string& name) const;
  Vec vector(const std::string& name) const;
  Layer load_layer(int64_t layer) const;
  void attention(const Layer& L, std::vector<Vec>& x) const;
  void delta_net(const Layer& L, std::vector<Vec>& x) const;
  void mlp(const Layer& L, std::vector<Vec>& x) const;
  std::vector<Vec> residual(const std::vector<int32_t>& tokens) const;  // x after the last layer

  const gguf::File& file_;
  int64_t n_layers_, n_embd_, n_ff_, n_head_, n_head_kv_, head_dim_, rope_dims_, n_vocab_;
  int64_t n_k_heads_, n_v_heads_, state_, conv_kernel_;
  double rope_base_, eps_;
  Matrix embedding_, output_;
  Vec output_norm_;
  int64_t full_attention_interval_;
  std::vector<Layer> layers_;  // empty with Residency::layer_by_layer
  // The MTP block (absent: has_mtp_ false): an attention layer and its own norms and projection.
  bool has_mtp_ = false;
  Layer mtp_;
  Vec mtp_enorm_, mtp_hnorm_, mtp_head_norm_;
  Matrix mtp_eh_;
};

}  // namespace trit::test
