// A loaded model: the mapped GGUF file, its config, and every weight bound by name with its type
// and shape checked. Matrices are prepared for the active kernels (which may repack them).
// Shapes are written [rows x cols]: y = W x maps cols inputs to rows outputs (GGUF dims are
// [cols, rows]).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gguf/reader.h"
#include "kernels/matmul.h"
#include "model/config.h"
#include "model/hadamard.h"

namespace trit::model {

// A full-attention block. Qwen3: wq gives q_dim rows. qwen35 (gated attention): wq gives
// 2 x q_dim rows, head by head [query (head_dim) | gate (head_dim)].
struct AttentionWeights {
  std::unique_ptr<kernels::PreparedMatrix> wq;        // [q_dim (x2 gated) x n_embd]
  std::unique_ptr<kernels::PreparedMatrix> wk;        // [kv_dim x n_embd]
  std::unique_ptr<kernels::PreparedMatrix> wv;        // [kv_dim x n_embd]
  std::vector<float> q_norm;                          // [head_dim]
  std::vector<float> k_norm;                          // [head_dim]
  std::unique_ptr<kernels::PreparedMatrix> wo;        // [n_embd x q_dim]
};

// A Gated DeltaNet block (qwen35; config.h DeltaNetConfig, docs/formats.md). Value heads are
// stored tiled: value head h reads key head h % n_k_heads.
struct DeltaNetWeights {
  std::unique_ptr<kernels::PreparedMatrix> wqkv;      // [qkv_dim x n_embd]: q | k | v channels
  std::unique_ptr<kernels::PreparedMatrix> wgate;     // [inner x n_embd]: z, the output gate
  std::unique_ptr<kernels::PreparedMatrix> wbeta;     // [n_v_heads x n_embd] (BF16 in the files)
  std::unique_ptr<kernels::PreparedMatrix> walpha;    // [n_v_heads x n_embd] (BF16 in the files)
  std::vector<float> conv;                            // [qkv_dim][conv_kernel]: ssm_conv1d taps
  std::vector<float> dt_bias;                         // [n_v_heads]
  std::vector<float> a;                               // [n_v_heads]: -exp(A_log), stored so
  std::vector<float> norm;                            // [head_dim]: ssm_norm
  std::unique_ptr<kernels::PreparedMatrix> wout;      // [n_embd x inner]: ssm_out
};

// One layer: a mixer (attention or Gated DeltaNet, by ModelConfig::is_delta_net) and the MLP.
struct LayerWeights {
  std::vector<float> attn_norm;                       // [n_embd]
  AttentionWeights attention;                         // attention layers
  DeltaNetWeights delta_net;                          // Gated DeltaNet layers
  std::vector<float> ffn_norm;                        // [n_embd] (qwen35: post_attention_norm)
  std::unique_ptr<kernels::PreparedMatrix> ffn_gate;  // [n_ff x n_embd]
  std::unique_ptr<kernels::PreparedMatrix> ffn_up;    // [n_ff x n_embd]
  std::unique_ptr<kernels::PreparedMatrix> ffn_down;  // [n_embd x n_ff]

  // Every matrix the layer has (a decode step reads each once).
  std::vector<const kernels::PreparedMatrix*> matrices() const;
};

class Model {
 public:
  // Maps the file, reads the config, binds and checks every tensor. Ternary matrices multiply
  // activations at `precision` (kernels/activations.h).
  static std::unique_ptr<Model> load(const std::string& path,
                                     kernels::ActivationPrecision precision = kernels::ActivationPrecision::int8);
  static std::unique_ptr<Model> load(gguf::File file,
                                     kernels::ActivationPrecision precision = kernels::ActivationPrecision::int8);

  const ModelConfig& config() const { return config_; }
  const gguf::File& file() const { return file_; }

  // Bonsai 2's rotation, if the file has one: the matrices it lists read T(x) (hadamard.h), and
  // embed() turns latent rows back.
  const std::optional<HadamardRotation>& rotation() const { return rotation_; }
  bool rotates_input(const kernels::PreparedMatrix* m) const { return rotated_inputs_.count(m) > 0; }

  // Row `token` of the embedding table as f32 ([n_embd]).
  void embed(int32_t token, float* out) const;

  const std::vector<LayerWeights>& layers() const { return layers_; }
  const std::vector<float>& output_norm() const { return output_norm_; }  // [n_embd]
  const kernels::PreparedMatrix& lm_head() const { return *lm_head_; }    // [n_vocab x n_embd]

  // Bytes of weights a decode step reads (every matrix once).
  size_t weight_bytes() const;
  uint64_t parameter_count() const;

 private:
  Model(gguf::File file, kernels::ActivationPrecision precision);
  void mark_rotated_inputs(const std::vector<std::pair<std::string, const kernels::PreparedMatrix*>>& bound);

  gguf::File file_;
  ModelConfig config_;
  std::optional<HadamardRotation> rotation_;
  std::unordered_set<const kernels::PreparedMatrix*> rotated_inputs_;
  const gguf::TensorInfo* token_embd_ = nullptr;
  std::vector<LayerWeights> layers_;
  std::vector<float> output_norm_;
  std::unique_ptr<kernels::PreparedMatrix> lm_head_;
};

}  // namespace trit::model
