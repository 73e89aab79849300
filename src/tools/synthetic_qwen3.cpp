// The dense Qwen3 plan (Ternary-Bonsai 0.6B..8B): the layout below is copied from a real
// Ternary-Bonsai-format file (moby-tiny-Q2_0, /work/shared/models): metadata keys in this order
// with these value types, then the tensors
//   token_embd, output_norm, [output], then per block: attn_norm, attn_q, attn_k, attn_v,
//   attn_output, attn_q_norm, attn_k_norm, ffn_norm, ffn_gate, ffn_up, ffn_down
// with matrices in the chosen type and norms in F32.
#include "gguf/writer.h"
#include "tools/synthetic_plan.h"

namespace trit::tools {

std::vector<PlannedTensor> plan_qwen3_tensors(const SyntheticPreset& p, int64_t vocab) {
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t e = u(p.n_embd), q = u(p.n_head * p.head_dim), kv = u(p.n_head_kv * p.head_dim);
  const uint64_t ff = u(p.n_ff), hd = u(p.head_dim);
  using K = PlannedTensor::Kind;
  std::vector<PlannedTensor> t = {{"token_embd.weight", {e, u(vocab)}, K::matrix},
                                  {"output_norm.weight", {e}, K::f32_vector}};
  if (!p.tied) t.push_back({"output.weight", {e, u(vocab)}, K::matrix});
  for (int64_t l = 0; l < p.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    t.push_back({b + "attn_norm.weight", {e}, K::f32_vector});
    t.push_back({b + "attn_q.weight", {e, q}, K::matrix});
    t.push_back({b + "attn_k.weight", {e, kv}, K::matrix});
    t.push_back({b + "attn_v.weight", {e, kv}, K::matrix});
    t.push_back({b + "attn_output.weight", {q, e}, K::matrix});
    t.push_back({b + "attn_q_norm.weight", {hd}, K::f32_vector});
    t.push_back({b + "attn_k_norm.weight", {hd}, K::f32_vector});
    t.push_back({b + "ffn_norm.weight", {e}, K::f32_vector});
    t.push_back({b + "ffn_gate.weight", {e, ff}, K::matrix});
    t.push_back({b + "ffn_up.weight", {e, ff}, K::matrix});
    t.push_back({b + "ffn_down.weight", {ff, e}, K::matrix});
  }
  return t;
}

void write_qwen3_metadata(gguf::Writer& writer, const SyntheticPreset& p, uint32_t file_type, int64_t /*mtp_layers*/) {
  using gguf::Value;
  auto u32 = [](int64_t v) { return Value{static_cast<uint32_t>(v)}; };
  writer.set("qwen3.block_count", u32(p.n_layers));
  writer.set("qwen3.context_length", u32(p.n_ctx));
  writer.set("qwen3.embedding_length", u32(p.n_embd));
  writer.set("qwen3.feed_forward_length", u32(p.n_ff));
  writer.set("qwen3.attention.head_count", u32(p.n_head));
  writer.set("qwen3.attention.head_count_kv", u32(p.n_head_kv));
  writer.set("qwen3.attention.key_length", u32(p.head_dim));
  writer.set("qwen3.attention.value_length", u32(p.head_dim));
  writer.set("qwen3.rope.freq_base", Value{1000000.0f});
  writer.set("qwen3.attention.layer_norm_rms_epsilon", Value{1e-6f});
  writer.set("general.file_type", Value{file_type});
}

}  // namespace trit::tools
