#include "model/config.h"

#include <cmath>

#include "gguf/reader.h"
#include "util/error.h"

namespace trit::model {

ModelConfig ModelConfig::from_gguf(const gguf::File& file) {
  ModelConfig c;
  c.architecture = file.get_string("general.architecture");
  if (c.architecture != "qwen3")
    fail(file.path(), ": architecture '", c.architecture, "' is not supported (trit runs qwen3 models)");
  c.name = file.get_string_or("general.name", "");
  const std::string p = "qwen3.";
  auto positive = [&](const std::string& key) {
    uint64_t v = file.get_uint(p + key);
    if (v == 0 || v > (uint64_t{1} << 31)) fail(file.path(), ": metadata ", p, key, " = ", v, " is out of range");
    return static_cast<int64_t>(v);
  };
  c.n_layers = positive("block_count");
  c.n_embd = positive("embedding_length");
  c.n_ff = positive("feed_forward_length");
  c.n_head = positive("attention.head_count");
  c.n_head_kv = file.has(p + "attention.head_count_kv") ? positive("attention.head_count_kv") : c.n_head;
  c.n_ctx_train = positive("context_length");
  if (file.has(p + "attention.key_length")) {
    c.head_dim = positive("attention.key_length");
  } else {
    if (c.n_embd % c.n_head != 0)
      fail(file.path(), ": ", p, "attention.head_count (", c.n_head, ") does not divide ", p,
           "embedding_length (", c.n_embd, ")");
    c.head_dim = c.n_embd / c.n_head;
  }
  if (file.has(p + "attention.value_length") && positive("attention.value_length") != c.head_dim)
    fail(file.path(), ": ", p, "attention.value_length differs from key_length; trit needs them equal");
  if (c.n_head % c.n_head_kv != 0)
    fail(file.path(), ": ", p, "attention.head_count_kv (", c.n_head_kv, ") does not divide head_count (", c.n_head, ")");
  if (c.head_dim % 2 != 0) fail(file.path(), ": head dimension ", c.head_dim, " is odd; RoPE needs it even");
  c.rope_base = file.get_float_or(p + "rope.freq_base", 1e6);
  if (!(c.rope_base > 1.0) || !std::isfinite(c.rope_base))
    fail(file.path(), ": ", p, "rope.freq_base = ", c.rope_base, " is not a finite number above 1");
  c.rms_eps = static_cast<float>(file.get_float_or(p + "attention.layer_norm_rms_epsilon", 1e-6));
  if (!(c.rms_eps > 0.0f)) fail(file.path(), ": ", p, "attention.layer_norm_rms_epsilon must be positive");

  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (!embd) fail(file.path(), ": tensor 'token_embd.weight' is missing");
  if (embd->dims.size() != 2 || static_cast<int64_t>(embd->dims[0]) != c.n_embd)
    fail(file.path(), ": tensor 'token_embd.weight' has shape ", embd->shape_string(), ", expected [", c.n_embd,
         ", n_vocab]");
  c.n_vocab = static_cast<int64_t>(embd->dims[1]);
  c.tied_embeddings = file.find_tensor("output.weight") == nullptr;
  return c;
}

}  // namespace trit::model
