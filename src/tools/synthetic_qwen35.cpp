// The Qwen3.5 hybrid plan (GGUF arch `qwen35`, the 27B Bonsai files; /work/shared/QWEN35.md).
//
// Metadata: the keys PrismML's llama.cpp fork reads for LLM_ARCH_QWEN35, in the order its
// converter (Qwen3_5TextModel <- Qwen3NextModel <- TextModel) writes them: the TextModel keys
// with general.file_type last, then the GDN keys Qwen3NextModel adds, then rope.dimension_count.
// rope.dimension_sections is an i32[4] array: Qwen3.5's mrope_section [11, 11, 10] padded with 0
// (the halves of the 64 rotated dims; for text all sections take the same position).
//
// Tensors (ggml ne = [in, out]; e = n_embd, hd = head_dim, S = ssm_state, kh/vh = GDN key/value
// heads): token_embd [e, vocab], output_norm [e], output [e, vocab], then per block
//   full attention ((il + 1) % 4 == 0):
//     attn_norm [e], attn_q [e, 2 n_head hd] (query and gate, interleaved per head), attn_k,
//     attn_v [e, n_head_kv hd], attn_output [n_head hd, e], attn_q_norm, attn_k_norm [hd],
//   Gated DeltaNet (the others):
//     attn_norm [e], attn_qkv [e, 2 kh S + vh S], attn_gate [e, vh S], ssm_conv1d [4, 2 kh S + vh S],
//     ssm_dt.bias [vh], ssm_a [vh], ssm_beta, ssm_alpha [e, vh] (BF16), ssm_norm [S], ssm_out [vh S, e],
//   then post_attention_norm [e], ffn_gate, ffn_up [e, n_ff], ffn_down [n_ff, e].
// With --mtp, a multi-token-prediction block follows as blk.<n_layers> (block_count counts it,
// nextn_predict_layers = 1; the names PrismML's fork binds): a full-attention block's tensors (attn_norm,
// attn_q, attn_k, attn_v, attn_output, attn_q_norm, attn_k_norm, post_attention_norm, ffn_*) and
// nextn.eh_proj [2e, e], nextn.enorm, nextn.hnorm, nextn.shared_head_norm [e]; it shares
// token_embd and the LM head.
// Matrices in the chosen type, ssm_beta/ssm_alpha always BF16 (as the real files), everything else
// F32. The order is the forward order, as the dense files keep it (the fork binds by name, so the
// order only matters for byte-level comparisons); the real 27B file's order was not available.
#include "gguf/writer.h"
#include "tools/synthetic_plan.h"
#include "util/error.h"

namespace trit::tools {
namespace {

constexpr int64_t kFullAttentionInterval = 4;  // the fork's default; written explicitly
constexpr int64_t kConvKernel = 4;
constexpr int32_t kRopeSections[4] = {11, 11, 10, 0};

void check_preset(const SyntheticPreset& p) {
  if (p.ssm_k_heads <= 0 || p.ssm_v_heads % p.ssm_k_heads != 0)
    fail("preset ", p.name, ": ", p.ssm_v_heads, " GDN value heads are not a multiple of ", p.ssm_k_heads, " key heads");
  int64_t rotated = 0;
  for (int32_t s : kRopeSections) rotated += 2 * s;
  if (p.rope_dims != rotated) fail("preset ", p.name, ": rope dims ", p.rope_dims, " do not match the sections (", rotated, ")");
}

}  // namespace

bool qwen35_is_attention_layer(int64_t il) { return (il + 1) % kFullAttentionInterval == 0; }

std::vector<PlannedTensor> plan_qwen35_tensors(const SyntheticPreset& p, int64_t vocab) {
  check_preset(p);
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t e = u(p.n_embd), ff = u(p.n_ff), hd = u(p.head_dim);
  const uint64_t q = u(p.n_head * p.head_dim), kv = u(p.n_head_kv * p.head_dim);
  const uint64_t s = u(p.ssm_state), vh = u(p.ssm_v_heads), inner = vh * s;
  const uint64_t qkv = 2 * u(p.ssm_k_heads) * s + inner;  // conv channels: q, k, v
  using K = PlannedTensor::Kind;
  std::vector<PlannedTensor> t = {{"token_embd.weight", {e, u(vocab)}, K::matrix},
                                  {"output_norm.weight", {e}, K::f32_vector}};
  if (!p.tied) t.push_back({"output.weight", {e, u(vocab)}, K::matrix});
  for (int64_t l = 0; l < p.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    t.push_back({b + "attn_norm.weight", {e}, K::f32_vector});
    if (qwen35_is_attention_layer(l)) {
      t.push_back({b + "attn_q.weight", {e, 2 * q}, K::matrix});
      t.push_back({b + "attn_k.weight", {e, kv}, K::matrix});
      t.push_back({b + "attn_v.weight", {e, kv}, K::matrix});
      t.push_back({b + "attn_output.weight", {q, e}, K::matrix});
      t.push_back({b + "attn_q_norm.weight", {hd}, K::f32_vector});
      t.push_back({b + "attn_k_norm.weight", {hd}, K::f32_vector});
    } else {
      t.push_back({b + "attn_qkv.weight", {e, qkv}, K::matrix});
      t.push_back({b + "attn_gate.weight", {e, inner}, K::matrix});
      t.push_back({b + "ssm_conv1d.weight", {u(kConvKernel), qkv}, K::f32_vector, fill_conv1d});
      t.push_back({b + "ssm_dt.bias", {vh}, K::f32_vector, fill_ssm_dt_bias});
      t.push_back({b + "ssm_a", {vh}, K::f32_vector, fill_ssm_a});
      t.push_back({b + "ssm_beta.weight", {e, vh}, K::dense_bf16});
      t.push_back({b + "ssm_alpha.weight", {e, vh}, K::dense_bf16});
      t.push_back({b + "ssm_norm.weight", {s}, K::f32_vector});
      t.push_back({b + "ssm_out.weight", {inner, e}, K::matrix});
    }
    t.push_back({b + "post_attention_norm.weight", {e}, K::f32_vector});
    t.push_back({b + "ffn_gate.weight", {e, ff}, K::matrix});
    t.push_back({b + "ffn_up.weight", {e, ff}, K::matrix});
    t.push_back({b + "ffn_down.weight", {ff, e}, K::matrix});
  }
  return t;
}

void add_qwen35_mtp_tensors(std::vector<PlannedTensor>& t, const SyntheticPreset& p) {
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t e = u(p.n_embd), ff = u(p.n_ff), hd = u(p.head_dim);
  const uint64_t q = u(p.n_head * p.head_dim), kv = u(p.n_head_kv * p.head_dim);
  using K = PlannedTensor::Kind;
  const std::string b = "blk." + std::to_string(p.n_layers) + ".";
  for (PlannedTensor tensor : std::vector<PlannedTensor>{{b + "nextn.eh_proj.weight", {2 * e, e}, K::matrix},
                                                         {b + "nextn.enorm.weight", {e}, K::f32_vector},
                                                         {b + "nextn.hnorm.weight", {e}, K::f32_vector},
                                                         {b + "attn_norm.weight", {e}, K::f32_vector},
                                                         {b + "attn_q.weight", {e, 2 * q}, K::matrix},
                                                         {b + "attn_k.weight", {e, kv}, K::matrix},
                                                         {b + "attn_v.weight", {e, kv}, K::matrix},
                                                         {b + "attn_output.weight", {q, e}, K::matrix},
                                                         {b + "attn_q_norm.weight", {hd}, K::f32_vector},
                                                         {b + "attn_k_norm.weight", {hd}, K::f32_vector},
                                                         {b + "post_attention_norm.weight", {e}, K::f32_vector},
                                                         {b + "ffn_gate.weight", {e, ff}, K::matrix},
                                                         {b + "ffn_up.weight", {e, ff}, K::matrix},
                                                         {b + "ffn_down.weight", {ff, e}, K::matrix},
                                                         {b + "nextn.shared_head_norm.weight", {e}, K::f32_vector}})
    t.push_back(std::move(tensor));
}

void write_qwen35_metadata(gguf::Writer& writer, const SyntheticPreset& p, uint32_t file_type, int64_t mtp_layers) {
  check_preset(p);
  using gguf::Value;
  auto u32 = [](int64_t v) { return Value{static_cast<uint32_t>(v)}; };
  std::vector<Value> sections;
  for (int32_t s : kRopeSections) sections.push_back(Value{s});
  writer.set("qwen35.block_count", u32(p.n_layers + mtp_layers));
  writer.set("qwen35.context_length", u32(p.n_ctx));
  writer.set("qwen35.embedding_length", u32(p.n_embd));
  writer.set("qwen35.feed_forward_length", u32(p.n_ff));
  writer.set("qwen35.attention.head_count", u32(p.n_head));
  writer.set("qwen35.attention.head_count_kv", u32(p.n_head_kv));
  writer.set("qwen35.rope.dimension_sections", Value::make_array(gguf::ValueType::i32, std::move(sections)));
  writer.set("qwen35.rope.freq_base", Value{10000000.0f});
  writer.set("qwen35.attention.layer_norm_rms_epsilon", Value{1e-6f});
  writer.set("qwen35.attention.key_length", u32(p.head_dim));
  writer.set("qwen35.attention.value_length", u32(p.head_dim));
  writer.set("general.file_type", Value{file_type});
  writer.set("qwen35.ssm.conv_kernel", u32(kConvKernel));
  writer.set("qwen35.ssm.state_size", u32(p.ssm_state));
  writer.set("qwen35.ssm.group_count", u32(p.ssm_k_heads));
  writer.set("qwen35.ssm.time_step_rank", u32(p.ssm_v_heads));
  writer.set("qwen35.ssm.inner_size", u32(p.ssm_v_heads * p.ssm_state));
  writer.set("qwen35.full_attention_interval", u32(kFullAttentionInterval));
  writer.set("qwen35.rope.dimension_count", u32(p.rope_dims));
  if (mtp_layers > 0) writer.set("qwen35.nextn_predict_layers", u32(mtp_layers));
}

}  // namespace trit::tools
