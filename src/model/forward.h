// The forward pass of Qwen3 and of the qwen35 hybrid over a batch of sequences. One run()
// advances every sequence in the batch by its tokens (a prompt chunk, or one token when decoding);
// all tokens of all sequences go through each weight matrix together, so the weights are read
// once per step. Each layer is a mixer (attention, forward_attention.cpp, or Gated DeltaNet,
// forward_delta_net.cpp) and the MLP, each adding to the residual stream.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/attention.h"
#include "model/hybrid_memory.h"
#include "model/kv_cache.h"
#include "model/mtp_head.h"
#include "model/sequence_memory.h"
#include "model/weights.h"
#include "util/thread_pool.h"

namespace trit::model {

// One sequence's share of a batched step. Its tokens take positions memory->length() onward.
struct SequenceStep {
  SequenceMemory* memory = nullptr;
  std::span<const int32_t> tokens;
  bool all_logits = false;  // logits for every token (perplexity), else only for the last
};

class ForwardPass {
 public:
  ForwardPass(const Model& model, ThreadPool& pool);

  // Runs the step and appends the new positions to each sequence's memory. Returns the logits:
  // for each step in order, tokens.size() rows if all_logits else one row, n_vocab floats each.
  // The reference stays valid until the next run().
  const std::vector<float>& run(std::span<const SequenceStep> steps);

  // The model's multi-token-prediction head (mtp_head.h, forward_mtp.cpp) over `tokens` of one
  // sequence whose block K/V `cache` holds (a memory of head.cache_config()): row j pairs token j
  // with hidden + j * n_embd (the model's final hidden state at the position before it) and takes
  // the next position of the cache. Returns the logits of the last row (n_vocab floats);
  // mtp_hidden() is its normed output, the stand-in for the model's hidden state there. Both stay
  // valid until the next run.
  const std::vector<float>& run_mtp(const MtpHead& head, KvSequence& cache, std::span<const int32_t> tokens,
                                    const float* hidden);
  std::span<const float> mtp_hidden() const {
    return std::span<const float>(logit_in_.data(), static_cast<size_t>(model_.config().n_embd));
  }

  const Model& model() const { return model_; }

  // A new, empty memory for one sequence of up to `capacity` positions: what this model keeps per
  // sequence (a KV cache whose K and V rows are `kv_types`, plus the recurrent state of a hybrid model), and
  // how many bytes it takes.
  std::unique_ptr<SequenceMemory> new_memory(int64_t capacity, kernels::KvTypes kv_types) const;
  // The same, its KV cache's pages taken from a pool that other sequences share (kv_pool.h).
  std::unique_ptr<SequenceMemory> new_memory(std::shared_ptr<KvPagePool> pool, int64_t capacity) const;
  size_t memory_bytes(int64_t capacity, kernels::KvTypes kv_types) const;

 private:
  void ensure_capacity(int64_t n_tokens, int64_t n_logit_rows);
  // Checks the steps and lays out the batch: positions, each token's sequence, the caches and
  // states, attention runs, RoPE angles. recurrent_layers: the step runs the Gated DeltaNet layers.
  void begin_step(std::span<const SequenceStep> steps, bool recurrent_layers);
  void normalize_input(const std::vector<float>& weight);
  void attention_block(const AttentionWeights& w, int64_t slot);
  // Decode attention at depth split by position (forward_attention.cpp).
  bool attend_by_segment(size_t items) const;
  void attention_by_segment(int64_t slot);
  void delta_net_block(const DeltaNetWeights& w, int64_t slot);
  void mlp_block(const LayerWeights& layer);
  // ys = Ws x for up to four matrices that read the same input, `rows` rows of `width` values
  // (kernels::multiply_shared_input), each given the input it expects: x, or T(x) for a matrix
  // that Bonsai 2's rotation lists (model/hadamard.h), computed once for all of them. ssm_out
  // passes values_tiled: its T(x) first takes the value heads to grouped order when the file
  // says gdn_v_grouped. forward_rotation.cpp.
  void multiply_input(std::initializer_list<const kernels::PreparedMatrix*> ws, const float* x, int64_t rows,
                      int64_t width, std::initializer_list<float*> ys, bool values_tiled = false);
  void rotate_rows(const float* x, int64_t rows, int64_t width, bool values_tiled);

  const Model& model_;
  ThreadPool& pool_;
  int64_t n_tokens_ = 0;
  std::vector<int64_t> positions_;    // [T] position of each token in its sequence
  std::vector<int64_t> sequence_of_;  // [T] index into steps of each token
  std::vector<KvSequence*> caches_;   // [steps] each sequence's attention cache
  std::vector<DeltaNetState*> states_;  // [steps] each sequence's recurrent state (hybrid models)
  // [steps] where to copy a sequence's recurrent state after its first token (speculative decoding's
  // draft point, SequenceMemory::draft_point_to_fill), else null
  std::vector<DeltaNetState*> draft_points_;
  std::vector<int64_t> step_first_;   // [steps + 1] first token of each sequence in the batch
  // Tokens [first, first + count) of one sequence (consecutive positions) attend as one run.
  struct TokenRun {
    int64_t first, count;
  };
  static constexpr int64_t kAttentionRun = 4;
  std::vector<TokenRun> attention_runs_;
  std::vector<float> rope_cos_, rope_sin_;  // [T x rope_dims/2] RoPE angles of each token's position
  // Activations, one row per token of the step.
  std::vector<float> x_;        // [T x n_embd] residual stream
  std::vector<float> xn_;       // [T x n_embd] normalised input of a sub-block
  std::vector<float> qg_;       // [T x 2 q_dim] gated attention: per head query | gate
  std::vector<float> q_;        // [T x q_dim]
  std::vector<float> attn_gate_;  // [T x q_dim] gated attention: the gate half of qg_
  std::vector<float> k_;        // [T x kv_dim]
  std::vector<float> v_;        // [T x kv_dim]
  std::vector<float> attn_;     // [T x q_dim] attention output before Wo
  std::vector<float> attn_partials_;  // [segments][T x n_head]: acc (head_dim) | max | sum, kernels/attention.h
  std::vector<float> proj_;     // [T x n_embd] output of Wo or Wdown
  // Gated DeltaNet
  std::vector<float> qkv_;      // [T x qkv_dim] projection, then conv1d + SiLU in place: q | k | v
  std::vector<float> z_;        // [T x inner] output gate
  std::vector<float> beta_;     // [T x n_v_heads] ssm_beta projection, then sigmoid
  std::vector<float> alpha_;    // [T x n_v_heads] ssm_alpha projection
  std::vector<float> decay_;    // [T x n_v_heads] g: log of each head's state decay
  std::vector<float> delta_out_;  // [T x inner] recurrence output, then gated norm
  std::vector<float> gate_;     // [T x n_ff]
  std::vector<float> up_;       // [T x n_ff]
  std::vector<float> logit_in_; // [R x n_embd] final-normed rows that need logits
  std::vector<float> logits_;   // [R x n_vocab]
  std::vector<float> rotated_;  // [T x width] T(x) of the input multiply_input rotates
  std::vector<float> mtp_in_;   // [T x 2 n_embd] the MTP head's input: normed embedding | normed hidden
};

}  // namespace trit::model
