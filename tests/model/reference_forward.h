// The reference Qwen3 forward pass: scalar, every weight dequantized to double, f64 arithmetic
// throughout, no KV-cache tricks (each call recomputes the whole sequence). Written straight
// from docs/formats.md so it stays obviously correct; it is the oracle for the engine.
#pragma once
#include <cstdint>
#include <vector>

#include "gguf/reader.h"

namespace trit::test {

class ReferenceModel {
 public:
  explicit ReferenceModel(const gguf::File& file);

  // Logits ([n_vocab] doubles) for every position of `tokens`, or only the last one.
  std::vector<std::vector<double>> forward(const std::vector<int32_t>& tokens, bool last_only = false) const;
  // Greedy continuation of `prompt` by n tokens.
  std::vector<int32_t> greedy(std::vector<int32_t> prompt, int n) const;

  int64_t n_vocab() const { return n_vocab_; }

 private:
  using Matrix = std::vector<std::vector<double>>;  // [rows][cols]
  struct Layer {
    std::vector<double> attn_norm, q_norm, k_norm, ffn_norm;
    Matrix wq, wk, wv, wo, gate, up, down;
  };
  Matrix matrix(const std::string& name) const;
  std::vector<double> vector(const std::string& name) const;

  const gguf::File& file_;
  int64_t n_layers_, n_embd_, n_ff_, n_head_, n_head_kv_, head_dim_, n_vocab_;
  double rope_base_, eps_;
  Matrix embedding_, output_;
  std::vector<double> output_norm_;
  std::vector<Layer> layers_;
};

}  // namespace trit::test
