// The hyper-parameters of the model families trit runs, read from GGUF metadata (keys under
// "<architecture>.", docs/formats.md): dense Qwen3 ("qwen3") and the Qwen3.5 hybrid ("qwen35":
// Gated DeltaNet layers with a gated full-attention layer every full_attention_interval layers).
#pragma once
#include <cstdint>
#include <string>

namespace trit::gguf {
class File;
}

namespace trit::model {

enum class Architecture { qwen3, qwen35 };

// The Gated DeltaNet (linear attention) layers of a qwen35 model. Key heads and value heads share
// one head size (state_size); value head h reads key head h % n_k_heads (the "tiled" order).
struct DeltaNetConfig {
  int64_t n_k_heads = 0;    // ssm.group_count
  int64_t n_v_heads = 0;    // ssm.time_step_rank
  int64_t head_dim = 0;     // ssm.state_size: each head's key and value width
  int64_t conv_kernel = 0;  // ssm.conv_kernel: taps of the causal conv1d over q, k, v
  int64_t inner() const { return n_v_heads * head_dim; }                  // ssm.inner_size: z, o, y
  int64_t qkv_dim() const { return 2 * n_k_heads * head_dim + inner(); }  // conv channels: q | k | v
};

struct ModelConfig {
  Architecture arch = Architecture::qwen3;
  std::string architecture;   // general.architecture, "qwen3" or "qwen35"
  std::string name;           // general.name, may be empty
  int64_t n_layers = 0;       // block_count
  int64_t n_embd = 0;         // embedding_length: width of the residual stream
  int64_t n_ff = 0;           // feed_forward_length: width of the SwiGLU hidden layer
  int64_t n_head = 0;         // attention.head_count: query heads
  int64_t n_head_kv = 0;      // attention.head_count_kv: key/value heads (GQA)
  int64_t head_dim = 0;       // attention.key_length (== value_length)
  int64_t rope_dims = 0;      // rope.dimension_count: leading dims of a head that RoPE turns
  int64_t n_vocab = 0;        // rows of token_embd
  int64_t n_ctx_train = 0;    // context_length
  double rope_base = 1e6;     // rope.freq_base
  float rms_eps = 1e-6f;      // attention.layer_norm_rms_epsilon
  bool tied_embeddings = true;  // no output.weight: the LM head is token_embd
  // qwen35: attn_q also yields an output gate per head (o = attention * sigmoid(gate)).
  bool gated_attention = false;
  // qwen35: layer l is full attention iff (l + 1) % full_attention_interval == 0, else a Gated
  // DeltaNet layer. 0: every layer is attention (qwen3).
  int64_t full_attention_interval = 0;
  DeltaNetConfig delta_net;
  // nextn_predict_layers: multi-token-prediction blocks stored after the model's own layers
  // (blk.n_layers ...; block_count counts them). They only draft tokens: not run here.
  int64_t n_mtp_layers = 0;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
  bool is_delta_net(int64_t layer) const {
    return full_attention_interval > 0 && (layer + 1) % full_attention_interval != 0;
  }
  int64_t n_attention_layers() const;
  int64_t n_delta_net_layers() const { return n_layers - n_attention_layers(); }
  // A layer's index among the layers of its kind (its slot in the KV cache or the recurrent state).
  int64_t slot_of(int64_t layer) const;

  // Reads and checks the metadata; a missing or inconsistent key is an Error naming it.
  static ModelConfig from_gguf(const gguf::File& file);
};

}  // namespace trit::model
