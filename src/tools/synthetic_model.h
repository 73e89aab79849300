// Synthetic Qwen3 models in the exact Ternary-Bonsai GGUF layout (`trit mkmodel`): the metadata
// keys, value types and order, tensor names, order, shapes and types of a real Bonsai file, with
// random ternary weights. Every type variant of one seed describes the same model where the
// format allows: f16/bf16/f32 hold exactly the dequantized q2_0 (group 128) weights; q2_0_g64
// and q1_0 draw their own codes (their groups differ).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trit::tools {

// Shapes of one model family member (docs/formats.md table). `vocab` is the padded vocab size the
// real files use (0 = whatever the tokenizer gives: the `tiny` preset).
struct SyntheticPreset {
  const char* name;
  int64_t n_layers;
  int64_t n_embd;
  int64_t n_ff;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t n_ctx;
  int64_t vocab;
  bool tied;  // no output.weight: the LM head is token_embd
};

const SyntheticPreset* find_preset(const std::string& name);  // null when unknown
const std::vector<SyntheticPreset>& all_presets();

struct SyntheticOptions {
  std::string preset = "tiny";
  std::string type = "q2_0";
  uint64_t seed = 1;
  std::string tokenizer_json;    // empty: the built-in byte vocab
  std::string tokenizer_config;  // optional tokenizer_config.json (chat template, specials)
  std::string output;
  bool overwrite = false;
  bool progress = false;         // a progress bar/lines on stderr
};

struct SyntheticResult {
  uint64_t parameters = 0;    // elements of all tensors
  uint64_t tensor_bytes = 0;  // bytes of tensor data
  uint64_t file_bytes = 0;    // size of the written file
  int64_t vocab = 0;
  size_t tensors = 0;
};

// Writes the model atomically (gguf::Writer), streaming tensor by tensor with bounded memory.
// Throws trit::Error naming a bad preset, type, tokenizer file or output problem.
SyntheticResult make_synthetic_model(const SyntheticOptions& options);

}  // namespace trit::tools
