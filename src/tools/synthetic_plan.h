// What a synthetic model file holds, per architecture: the tensors in file order (name, ggml dims,
// how they are stored and filled) and the architecture's metadata keys. synthetic_model.cpp
// writes any plan through the same writer, general keys and tokenizer; synthetic_qwen3.cpp and
// synthetic_qwen35.cpp say what differs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tools/synthetic_model.h"
#include "tools/synthetic_weights.h"

namespace trit::gguf {
class Writer;
}

namespace trit::tools {

struct PlannedTensor {
  enum class Kind {
    matrix,      // in the file's --type, ternary codes from MatrixGenerator
    dense_bf16,  // BF16 whatever --type (qwen35 ssm_alpha/ssm_beta), fill_dense_bf16
    f32_vector,  // F32, filled by `fill` (norms, conv kernels, GDN per-head parameters)
  };
  std::string name;
  std::vector<uint64_t> dims;  // ggml ne: dims[0] = row length
  Kind kind = Kind::f32_vector;
  VectorFill fill = fill_norm;  // f32_vector only
};

// qwen3: token_embd, output_norm, [output], then per block attn_norm, attn_q, attn_k, attn_v,
// attn_output, attn_q_norm, attn_k_norm, ffn_norm, ffn_gate, ffn_up, ffn_down.
std::vector<PlannedTensor> plan_qwen3_tensors(const SyntheticPreset& p, int64_t vocab);
// The qwen3.* keys, general.file_type among them where the real files have it.
void write_qwen3_metadata(gguf::Writer& writer, const SyntheticPreset& p, uint32_t file_type, int64_t mtp_layers);

// qwen35: see synthetic_qwen35.cpp for the order.
std::vector<PlannedTensor> plan_qwen35_tensors(const SyntheticPreset& p, int64_t vocab);
// The multi-token-prediction block appended to a qwen35 plan (blk.<n_layers>), and the keys with
// mtp_layers (0 or 1) counted in block_count and as nextn_predict_layers.
void add_qwen35_mtp_tensors(std::vector<PlannedTensor>& plan, const SyntheticPreset& p);
void write_qwen35_metadata(gguf::Writer& writer, const SyntheticPreset& p, uint32_t file_type, int64_t mtp_layers);
// Layer il of a qwen35 model is full attention (else Gated DeltaNet).
bool qwen35_is_attention_layer(int64_t il);

// --hadamard (synthetic_hadamard.cpp): the block (`requested`, or 0 for the largest power of two
// up to 1024 that divides every matrix's input width) and Bonsai 2's keys for the plan.
int64_t hadamard_block_for(const std::vector<PlannedTensor>& plan, int64_t requested);
void write_hadamard_metadata(gguf::Writer& writer, const std::vector<PlannedTensor>& plan, SyntheticArch arch,
                             uint64_t seed, int64_t block);

}  // namespace trit::tools
