#include "model/config.h"

#include <cmath>

#include "gguf/reader.h"
#include "util/error.h"

namespace trit::model {
namespace {

// Reads the "<arch>." keys of one file, naming the key in every error.
struct Keys {
  const gguf::File& file;
  std::string prefix;

  bool has(const std::string& key) const { return file.has(prefix + key); }
  int64_t positive(const std::string& key) const {
    if (!has(key)) fail(file.path(), ": metadata key ", prefix, key, " is missing");
    uint64_t v = file.get_uint(prefix + key);
    if (v == 0 || v > (uint64_t{1} << 31)) fail(file.path(), ": metadata ", prefix, key, " = ", v, " is out of range");
    return static_cast<int64_t>(v);
  }
  [[noreturn]] void inconsistent(const std::string& what) const { fail(file.path(), ": ", what); }
};

void read_delta_net(const Keys& k, ModelConfig& c) {
  c.gated_attention = true;
  c.full_attention_interval = k.has("full_attention_interval") ? k.positive("full_attention_interval") : 4;
  DeltaNetConfig& d = c.delta_net;
  d.n_k_heads = k.positive("ssm.group_count");
  d.n_v_heads = k.positive("ssm.time_step_rank");
  d.head_dim = k.positive("ssm.state_size");
  d.conv_kernel = k.positive("ssm.conv_kernel");
  const int64_t inner = k.positive("ssm.inner_size");
  if (d.n_v_heads % d.n_k_heads != 0)
    k.inconsistent(k.prefix + "ssm.group_count (" + std::to_string(d.n_k_heads) + ") does not divide " + k.prefix +
                   "ssm.time_step_rank (" + std::to_string(d.n_v_heads) + ")");
  if (inner != d.inner())
    k.inconsistent(k.prefix + "ssm.inner_size (" + std::to_string(inner) + ") is not ssm.time_step_rank x ssm.state_size (" +
                   std::to_string(d.inner()) + ")");
  if (d.conv_kernel < 2 || d.conv_kernel > 16)
    k.inconsistent(k.prefix + "ssm.conv_kernel = " + std::to_string(d.conv_kernel) + " is outside 2..16");
  if (c.n_attention_layers() == 0)
    k.inconsistent(k.prefix + "full_attention_interval (" + std::to_string(c.full_attention_interval) +
                   ") leaves no full-attention layer in " + std::to_string(c.n_layers));
}

}  // namespace

int64_t ModelConfig::n_attention_layers() const {
  int64_t n = 0;
  for (int64_t l = 0; l < n_layers; ++l) n += !is_delta_net(l);
  return n;
}

int64_t ModelConfig::slot_of(int64_t layer) const {
  int64_t slot = 0;
  for (int64_t l = 0; l < layer; ++l) slot += is_delta_net(l) == is_delta_net(layer);
  return slot;
}

ModelConfig ModelConfig::from_gguf(const gguf::File& file) {
  ModelConfig c;
  c.architecture = file.get_string("general.architecture");
  if (c.architecture == "qwen3")
    c.arch = Architecture::qwen3;
  else if (c.architecture == "qwen35")
    c.arch = Architecture::qwen35;
  else
    fail(file.path(), ": architecture '", c.architecture, "' is not supported (trit runs qwen3 and qwen35 models)");
  c.name = file.get_string_or("general.name", "");
  const Keys k{file, c.architecture + "."};
  const std::string& p = k.prefix;
  c.n_layers = k.positive("block_count");
  if (k.has("nextn_predict_layers")) {
    c.n_mtp_layers = static_cast<int64_t>(file.get_uint(p + "nextn_predict_layers"));
    if (c.n_mtp_layers >= c.n_layers)
      fail(file.path(), ": ", p, "nextn_predict_layers (", c.n_mtp_layers, ") must be below ", p, "block_count (",
           c.n_layers, ")");
    c.n_layers -= c.n_mtp_layers;
  }
  c.n_embd = k.positive("embedding_length");
  c.n_ff = k.positive("feed_forward_length");
  c.n_head = k.positive("attention.head_count");
  c.n_head_kv = k.has("attention.head_count_kv") ? k.positive("attention.head_count_kv") : c.n_head;
  c.n_ctx_train = k.positive("context_length");
  if (k.has("attention.key_length")) {
    c.head_dim = k.positive("attention.key_length");
  } else {
    // qwen35 heads are wider than n_embd / n_head: the key is required there.
    if (c.arch == Architecture::qwen35) k.positive("attention.key_length");
    if (c.n_embd % c.n_head != 0)
      fail(file.path(), ": ", p, "attention.head_count (", c.n_head, ") does not divide ", p,
           "embedding_length (", c.n_embd, ")");
    c.head_dim = c.n_embd / c.n_head;
  }
  if (k.has("attention.value_length") && k.positive("attention.value_length") != c.head_dim)
    fail(file.path(), ": ", p, "attention.value_length differs from key_length; trit needs them equal");
  if (c.n_head % c.n_head_kv != 0)
    fail(file.path(), ": ", p, "attention.head_count_kv (", c.n_head_kv, ") does not divide head_count (", c.n_head, ")");
  if (c.head_dim % 2 != 0) fail(file.path(), ": head dimension ", c.head_dim, " is odd; RoPE needs it even");
  c.rope_dims = k.has("rope.dimension_count") ? k.positive("rope.dimension_count") : c.head_dim;
  if (c.rope_dims > c.head_dim || c.rope_dims % 2 != 0)
    fail(file.path(), ": ", p, "rope.dimension_count = ", c.rope_dims, " must be even and at most the head dimension (",
         c.head_dim, ")");
  c.rope_base = file.get_float_or(p + "rope.freq_base", 1e6);
  if (!(c.rope_base > 1.0) || !std::isfinite(c.rope_base))
    fail(file.path(), ": ", p, "rope.freq_base = ", c.rope_base, " is not a finite number above 1");
  c.rms_eps = static_cast<float>(file.get_float_or(p + "attention.layer_norm_rms_epsilon", 1e-6));
  if (!(c.rms_eps > 0.0f)) fail(file.path(), ": ", p, "attention.layer_norm_rms_epsilon must be positive");
  if (c.arch == Architecture::qwen35) read_delta_net(k, c);

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
