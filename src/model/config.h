// The Qwen3 hyper-parameters, read from GGUF metadata (keys under "qwen3.", docs/formats.md).
#pragma once
#include <cstdint>
#include <string>

namespace trit::gguf {
class File;
}

namespace trit::model {

struct ModelConfig {
  std::string architecture;   // general.architecture, "qwen3"
  std::string name;           // general.name, may be empty
  int64_t n_layers = 0;       // block_count
  int64_t n_embd = 0;         // embedding_length: width of the residual stream
  int64_t n_ff = 0;           // feed_forward_length: width of the SwiGLU hidden layer
  int64_t n_head = 0;         // attention.head_count: query heads
  int64_t n_head_kv = 0;      // attention.head_count_kv: key/value heads (GQA)
  int64_t head_dim = 0;       // attention.key_length (== value_length)
  int64_t n_vocab = 0;        // rows of token_embd
  int64_t n_ctx_train = 0;    // context_length
  double rope_base = 1e6;     // rope.freq_base
  float rms_eps = 1e-6f;      // attention.layer_norm_rms_epsilon
  bool tied_embeddings = true;  // no output.weight: the LM head is token_embd

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }

  // Reads and checks the metadata; a missing or inconsistent key is an Error naming it.
  static ModelConfig from_gguf(const gguf::File& file);
};

}  // namespace trit::model
