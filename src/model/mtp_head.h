// The multi-token-prediction (MTP, "nextn") block some qwen35 files carry after their layers
// (nextn_predict_layers = 1, tensors blk.<n_layers>.*; /work/shared/QWEN35.md). It predicts the
// token after next: for position p it takes the model's final hidden state h_p (after
// output_norm) and the embedding of the token at p + 1,
//   c = W_eh [RMSNorm(embed(t_{p+1})) * enorm ; RMSNorm(h_p) * hnorm]            [2 n_embd -> n_embd]
// runs one gated-attention block on c (its own KV cache, attn_norm, attention as the model's,
// post_attention_norm, SwiGLU MLP), and gives logits = LM head (RMSNorm(c') * shared_head_norm)
// for t_{p+2}. Its normed output stands in for h_{p+1} when it drafts further ahead. The token
// embedding and LM head are the model's unless the block has its own (nextn.embed_tokens,
// nextn.shared_head_head). ForwardPass::run_mtp (forward_mtp.cpp) runs it.
#pragma once
#include <memory>
#include <vector>

#include "gguf/reader.h"
#include "model/config.h"
#include "model/weights.h"

namespace trit::model {

class MtpHead {
 public:
  // Binds the block of `model`'s file. Refuses (trit::Error) a file without one, one with several
  // (trit drafts with the first only if so: refused until a file needs it), and a Hadamard-rotated
  // file (what the rotation means for the block's weights is not defined).
  static std::unique_ptr<MtpHead> load(const Model& model, kernels::ActivationPrecision precision);

  const Model& model() const { return model_; }
  // The config of the block's own KV cache: one attention layer of the model's shape.
  const ModelConfig& cache_config() const { return cache_config_; }

  const std::vector<float>& enorm() const { return enorm_; }
  const std::vector<float>& hnorm() const { return hnorm_; }
  const kernels::PreparedMatrix& eh_proj() const { return *eh_proj_; }  // [n_embd x 2 n_embd]
  const LayerWeights& block() const { return block_; }
  const std::vector<float>& head_norm() const { return head_norm_; }
  const kernels::PreparedMatrix& lm_head() const { return head_ ? *head_ : model_.lm_head(); }
  // The embedding of `token` ([n_embd] f32).
  void embed(int32_t token, float* out) const;
  // Bytes of weights one MTP step reads (the block, eh_proj and the LM head).
  size_t weight_bytes() const;

 private:
  explicit MtpHead(const Model& model) : model_(model) {}

  const Model& model_;
  ModelConfig cache_config_;
  std::vector<float> enorm_, hnorm_, head_norm_;
  std::unique_ptr<kernels::PreparedMatrix> eh_proj_;
  LayerWeights block_;
  std::unique_ptr<kernels::PreparedMatrix> head_;  // nextn.shared_head_head, if the file has it
  const gguf::TensorInfo* embed_ = nullptr;        // nextn.embed_tokens, if the file has it
};

}  // namespace trit::model
