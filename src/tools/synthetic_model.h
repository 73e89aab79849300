// Synthetic models in the exact Bonsai GGUF layouts (`trit mkmodel`): dense Qwen3 (the
// Ternary-Bonsai 0.6B..8B files) and the Qwen3.5 hybrid (arch `qwen35`, the 27B files: Gated
// DeltaNet layers with gated full attention every fourth layer). The metadata keys, value types
// and order, tensor names, order, shapes and types of a real file, with random ternary weights. Every type variant of one seed describes the same model where the
// format allows: f16/bf16/f32 hold exactly the dequantized q2_0 (group 128) weights; q2_0_g64
// and q1_0 draw their own codes (their groups differ).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trit::tools {

enum class SyntheticArch {
  qwen3,   // every layer: attention + FFN
  qwen35,  // layer il is full (gated) attention iff (il + 1) % 4 == 0, else Gated DeltaNet; + FFN
};

// Shapes of one model family member (docs/formats.md table, /work/shared/QWEN35.md). `vocab` is
// the padded vocab size the real files use (0 = whatever the tokenizer gives: the tiny presets).
struct SyntheticPreset {
  const char* name;
  SyntheticArch arch;
  int64_t n_layers;
  int64_t n_embd;
  int64_t n_ff;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;     // key_length = value_length
  int64_t rope_dims;    // rotated dims per head: head_dim (qwen3) or 64 (qwen35: partial rotary)
  int64_t ssm_k_heads;  // qwen35 GDN key heads (ssm.group_count); 0 for qwen3
  int64_t ssm_v_heads;  // qwen35 GDN value heads (ssm.time_step_rank); 0 for qwen3
  int64_t ssm_state;    // qwen35 GDN head size (ssm.state_size); inner size = v heads * state
  int64_t n_ctx;
  int64_t vocab;
  bool tied;  // no output.weight: the LM head is token_embd
};

const SyntheticPreset* find_preset(const std::string& name);  // null when unknown
const std::vector<SyntheticPreset>& all_presets();
std::vector<std::string> preset_names();  // in table order, for flags and messages

struct SyntheticOptions {
  std::string preset = "tiny";
  std::string type = "q2_0";
  uint64_t seed = 1;
  std::string tokenizer_json;    // empty: the built-in byte vocab
  std::string tokenizer_config;  // optional tokenizer_config.json (chat template, specials)
  std::string output;
  bool overwrite = false;
  bool progress = false;         // a progress bar/lines on stderr
  // Bonsai 2's Hadamard keys with random signs (synthetic_hadamard.cpp); block 0: the largest
  // that fits, up to 1024. primal_twin: also write the unrotated twin there (tools/primal_twin.h).
  bool hadamard = false;
  int64_t hadamard_block = 0;
  std::string primal_twin;
  // qwen35: a multi-token-prediction block after the layers (nextn_predict_layers = 1), as the
  // community files that add one to the 27B (synthetic_qwen35.cpp).
  bool mtp = false;
};

struct SyntheticResult {
  uint64_t parameters = 0;    // elements of all tensors
  uint64_t tensor_bytes = 0;  // bytes of tensor data
  uint64_t file_bytes = 0;    // size of the written file
  int64_t vocab = 0;
  size_t tensors = 0;
  int64_t hadamard_block = 0;  // 0: no rotation
};

// What make_synthetic_model would write for these options (tensors, parameters, tensor bytes,
// vocab; file_bytes 0), without writing anything: checks the options the same way.
SyntheticResult describe_synthetic_model(const SyntheticOptions& options);

// Writes the model atomically (gguf::Writer), streaming tensor by tensor with bounded memory.
// Throws trit::Error naming a bad preset, type, tokenizer file or output problem.
SyntheticResult make_synthetic_model(const SyntheticOptions& options);

}  // namespace trit::tools
