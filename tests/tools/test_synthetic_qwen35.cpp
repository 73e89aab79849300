// mkmodel's qwen35 (Qwen3.5 hybrid, 27B Bonsai) presets, in process: the exact tensor list and
// metadata of qwen35-tiny written out by hand from /work/shared/QWEN35.md and the fork's loader
// (not derived from the plan under test), the attention schedule, identical codes across the
// group-128 ternary types of a seed, the ranges of the GDN parameters, and the real-size counts.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "common/test_util.h"
#include "formats/fp16.h"
#include "gguf/reader.h"
#include "tools/synthetic_model.h"
#include "util/error.h"

using namespace trit;

namespace {

constexpr uint32_t kF32 = 0, kBf16 = 30, kQ2_0 = 42;

std::string make(const std::string& dir, const std::string& type, uint64_t seed,
                 const std::string& preset = "qwen35-tiny") {
  tools::SyntheticOptions o;
  o.preset = preset;
  o.type = type;
  o.seed = seed;
  o.output = dir + "/" + preset + "-" + type + "-" + std::to_string(seed) + ".gguf";
  o.overwrite = true;
  tools::make_synthetic_model(o);
  return o.output;
}

std::vector<float> dequantize(const gguf::TensorInfo& t) {
  std::vector<float> out(t.element_count());
  t.type->dequantize_row(t.data, out.data(), static_cast<int64_t>(out.size()));
  return out;
}

struct Expected {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t ggml_type;
};

// qwen35-tiny: hidden 256, ffn 512, 2 q heads, 1 kv head of 256, GDN 2 key / 6 value heads of
// 64 (inner 384, conv channels 2*2*64 + 384 = 640), untied, vocab = the byte vocab's size.
std::vector<Expected> tiny_tensors(uint64_t vocab, uint32_t m) {
  std::vector<Expected> t = {{"token_embd.weight", {256, vocab}, m},
                             {"output_norm.weight", {256}, kF32},
                             {"output.weight", {256, vocab}, m}};
  for (int l = 0; l < 8; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    t.push_back({b + "attn_norm.weight", {256}, kF32});
    if (l == 3 || l == 7) {
      t.push_back({b + "attn_q.weight", {256, 1024}, m});  // 2 heads x (256 query + 256 gate)
      t.push_back({b + "attn_k.weight", {256, 256}, m});
      t.push_back({b + "attn_v.weight", {256, 256}, m});
      t.push_back({b + "attn_output.weight", {512, 256}, m});
      t.push_back({b + "attn_q_norm.weight", {256}, kF32});
      t.push_back({b + "attn_k_norm.weight", {256}, kF32});
    } else {
      t.push_back({b + "attn_qkv.weight", {256, 640}, m});
      t.push_back({b + "attn_gate.weight", {256, 384}, m});
      t.push_back({b + "ssm_conv1d.weight", {4, 640}, kF32});
      t.push_back({b + "ssm_dt.bias", {6}, kF32});
      t.push_back({b + "ssm_a", {6}, kF32});
      t.push_back({b + "ssm_beta.weight", {256, 6}, kBf16});
      t.push_back({b + "ssm_alpha.weight", {256, 6}, kBf16});
      t.push_back({b + "ssm_norm.weight", {64}, kF32});
      t.push_back({b + "ssm_out.weight", {384, 256}, m});
    }
    t.push_back({b + "post_attention_norm.weight", {256}, kF32});
    t.push_back({b + "ffn_gate.weight", {256, 512}, m});
    t.push_back({b + "ffn_up.weight", {256, 512}, m});
    t.push_back({b + "ffn_down.weight", {512, 256}, m});
  }
  return t;
}

}  // namespace

TEST(SyntheticQwen35, TinyHasExactlyThePlannedTensors) {
  std::string dir = test::scratch_dir();
  for (const char* type : {"q2_0", "pq2_0", "f16"}) {
    gguf::File f = gguf::File::open(make(dir, type, 1));
    const uint32_t m = f.find_tensor("blk.0.ffn_up.weight")->ggml_type;
    EXPECT_EQ(m, std::string(type) == "q2_0" ? kQ2_0 : std::string(type) == "pq2_0" ? 142u : 1u);
    const uint64_t vocab = f.get_string_array("tokenizer.ggml.tokens").size();
    std::vector<Expected> want = tiny_tensors(vocab, m);
    ASSERT_EQ(f.tensors().size(), want.size()) << type;
    for (size_t i = 0; i < want.size(); ++i) {
      const gguf::TensorInfo& t = f.tensors()[i];
      EXPECT_EQ(t.name, want[i].name) << type << " " << i;
      EXPECT_EQ(t.dims, want[i].dims) << t.name;
      EXPECT_EQ(t.ggml_type, want[i].ggml_type) << type << " " << t.name;
    }
    EXPECT_EQ(f.alignment(), 32u);
  }
}

TEST(SyntheticQwen35, ScheduleIsAttentionEveryFourthLayer) {
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "q2_0", 1));
  std::set<int> attention, gdn;
  for (int l = 0; l < 8; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    if (f.find_tensor(b + "attn_q.weight")) attention.insert(l);
    if (f.find_tensor(b + "attn_qkv.weight")) gdn.insert(l);
  }
  EXPECT_EQ(attention, (std::set<int>{3, 7}));
  EXPECT_EQ(gdn, (std::set<int>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(f.get_uint("qwen35.full_attention_interval"), 4u);
}

TEST(SyntheticQwen35, MetadataKeysOrderTypesAndValues) {
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "ptq1_0", 1));
  // The keys before the tokenizer, in the fork converter's order, with its value types.
  const std::vector<std::pair<std::string, std::string>> want = {
      {"general.architecture", "string"},
      {"general.name", "string"},
      {"general.alignment", "u32"},
      {"qwen35.block_count", "u32"},
      {"qwen35.context_length", "u32"},
      {"qwen35.embedding_length", "u32"},
      {"qwen35.feed_forward_length", "u32"},
      {"qwen35.attention.head_count", "u32"},
      {"qwen35.attention.head_count_kv", "u32"},
      {"qwen35.rope.dimension_sections", "array[i32]"},
      {"qwen35.rope.freq_base", "f32"},
      {"qwen35.attention.layer_norm_rms_epsilon", "f32"},
      {"qwen35.attention.key_length", "u32"},
      {"qwen35.attention.value_length", "u32"},
      {"general.file_type", "u32"},
      {"qwen35.ssm.conv_kernel", "u32"},
      {"qwen35.ssm.state_size", "u32"},
      {"qwen35.ssm.group_count", "u32"},
      {"qwen35.ssm.time_step_rank", "u32"},
      {"qwen35.ssm.inner_size", "u32"},
      {"qwen35.full_attention_interval", "u32"},
      {"qwen35.rope.dimension_count", "u32"},
      {"tokenizer.ggml.model", "string"},
  };
  ASSERT_GT(f.metadata().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(f.metadata()[i].first, want[i].first) << i;
    EXPECT_EQ(gguf::describe_type(f.metadata()[i].second), want[i].second) << want[i].first;
  }
  EXPECT_EQ(f.get_string("general.architecture"), "qwen35");
  EXPECT_EQ(f.get_uint("general.file_type"), 143u);
  EXPECT_EQ(f.get_uint("qwen35.block_count"), 8u);
  EXPECT_EQ(f.get_uint("qwen35.context_length"), 4096u);
  EXPECT_EQ(f.get_uint("qwen35.embedding_length"), 256u);
  EXPECT_EQ(f.get_uint("qwen35.feed_forward_length"), 512u);
  EXPECT_EQ(f.get_uint("qwen35.attention.head_count"), 2u);
  EXPECT_EQ(f.get_uint("qwen35.attention.head_count_kv"), 1u);
  EXPECT_EQ(f.get_uint("qwen35.attention.key_length"), 256u);
  EXPECT_EQ(f.get_uint("qwen35.attention.value_length"), 256u);
  EXPECT_EQ(f.get_int_array("qwen35.rope.dimension_sections"), (std::vector<int64_t>{11, 11, 10, 0}));
  EXPECT_EQ(f.get_uint("qwen35.rope.dimension_count"), 64u);
  EXPECT_EQ(f.get_float("qwen35.rope.freq_base"), 1e7);
  EXPECT_FLOAT_EQ(static_cast<float>(f.get_float("qwen35.attention.layer_norm_rms_epsilon")), 1e-6f);
  EXPECT_EQ(f.get_uint("qwen35.ssm.conv_kernel"), 4u);
  EXPECT_EQ(f.get_uint("qwen35.ssm.state_size"), 64u);
  EXPECT_EQ(f.get_uint("qwen35.ssm.group_count"), 2u);
  EXPECT_EQ(f.get_uint("qwen35.ssm.time_step_rank"), 6u);
  EXPECT_EQ(f.get_uint("qwen35.ssm.inner_size"), 384u);
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "qwen35");
}

TEST(SyntheticQwen35, GroupOf128TypesHoldTheSameWeights) {
  std::string dir = test::scratch_dir();
  gguf::File q2 = gguf::File::open(make(dir, "q2_0", 21));
  size_t matrices = 0;
  for (const char* type : {"pq2_0", "ptq1_0", "f32"}) {
    gguf::File f = gguf::File::open(make(dir, type, 21));
    ASSERT_EQ(f.tensors().size(), q2.tensors().size());
    for (size_t i = 0; i < f.tensors().size(); ++i) {
      const gguf::TensorInfo& a = q2.tensors()[i];
      const gguf::TensorInfo& b = f.tensors()[i];
      ASSERT_EQ(a.name, b.name);
      matrices += a.ggml_type == kQ2_0;
      EXPECT_EQ(dequantize(a), dequantize(b)) << type << " " << a.name;  // codes, scales, bf16, f32 alike
    }
  }
  EXPECT_EQ(matrices, 3u * (2 + 8 * 3 + 2 * 4 + 6 * 3));
  // Another seed draws other weights everywhere, the GDN parameters included.
  gguf::File other = gguf::File::open(make(dir, "q2_0", 22));
  for (const char* name : {"blk.0.attn_qkv.weight", "blk.0.ssm_a", "blk.0.ssm_dt.bias", "blk.0.ssm_conv1d.weight",
                           "blk.0.ssm_alpha.weight", "blk.3.attn_q.weight"})
    EXPECT_NE(dequantize(*q2.find_tensor(name)), dequantize(*other.find_tensor(name))) << name;
}

TEST(SyntheticQwen35, GatedDeltaNetParametersAreInRange) {
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "q2_0", 3));
  for (const gguf::TensorInfo& t : f.tensors())
    for (float v : dequantize(t)) ASSERT_TRUE(std::isfinite(v)) << t.name;
  double alpha_sum2 = 0;
  size_t alpha_n = 0;
  for (int l : {0, 1, 2, 4, 5, 6}) {
    const std::string b = "blk." + std::to_string(l) + ".";
    for (float a : dequantize(*f.find_tensor(b + "ssm_a"))) {
      EXPECT_GE(a, -16.0f) << b;
      EXPECT_LE(a, -1.0f) << b;
    }
    for (float bias : dequantize(*f.find_tensor(b + "ssm_dt.bias"))) {
      const double dt = std::log1p(std::exp(double(bias)));  // softplus
      EXPECT_GE(dt, 0.999e-3) << b;
      EXPECT_LE(dt, 0.1001) << b;
    }
    for (float c : dequantize(*f.find_tensor(b + "ssm_conv1d.weight"))) EXPECT_LE(std::fabs(c), 2.0f) << b;
    for (const char* name : {"ssm_norm.weight", "post_attention_norm.weight", "attn_norm.weight"})
      for (float w : dequantize(*f.find_tensor(b + name))) {
        EXPECT_GE(w, 0.95f) << b << name;
        EXPECT_LE(w, 1.05f) << b << name;
      }
    for (const char* name : {"ssm_alpha.weight", "ssm_beta.weight"}) {
      const gguf::TensorInfo& t = *f.find_tensor(b + name);
      EXPECT_EQ(t.type->format, formats::Format::bf16);
      std::set<float> distinct;
      for (float w : dequantize(t)) {
        EXPECT_LE(std::fabs(w), std::sqrt(3.0f / 256.0f) * 1.01f) << b << name;
        alpha_sum2 += double(w) * w;
        ++alpha_n;
        distinct.insert(w);
      }
      EXPECT_GT(distinct.size(), 200u) << "dense, not ternary (that has <= 3 values per 128-group): " << b << name;
    }
  }
  // Rows of variance 1/cols: a logit for an RMS-normalised input is about N(0, 1).
  EXPECT_NEAR(alpha_sum2 / alpha_n * 256.0, 1.0, 0.05);
}

TEST(SyntheticQwen35, RealSizePresetCounts) {
  tools::SyntheticOptions o;
  o.type = "pq2_0";
  o.preset = "qwen35-small";
  tools::SyntheticResult small = tools::describe_synthetic_model(o);
  // 2 x 2048 x 248320 (embedding, head) + 16 FFNs of 3 x 2048 x 6144 + 4 attention and 12 GDN
  // mixers + norms and GDN vectors.
  EXPECT_EQ(small.parameters, 2345441920u);
  EXPECT_EQ(small.vocab, 248320);
  EXPECT_EQ(small.tensors, 3u + 4 * 11 + 12 * 14);
  o.preset = "27b";
  tools::SyntheticResult big = tools::describe_synthetic_model(o);
  EXPECT_EQ(big.parameters, 26895998464u);  // the "27B"
  EXPECT_EQ(big.tensors, 3u + 16 * 11 + 48 * 14);
  // PQ2_0 matrices at 2.125 bits plus the F32/BF16 vectors: about 6.7 GiB, as the real file.
  EXPECT_NEAR(big.tensor_bytes / 1073741824.0, 6.66, 0.1);
  o.preset = "nope";
  EXPECT_THROW(tools::describe_synthetic_model(o), Error);
}

TEST(SyntheticQwen35, PresetsAreListed) {
  std::vector<std::string> names = tools::preset_names();
  for (const char* name : {"tiny", "8b", "qwen35-tiny", "qwen35-small", "27b"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  const tools::SyntheticPreset* p = tools::find_preset("27b");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->arch, tools::SyntheticArch::qwen35);
  EXPECT_EQ(p->n_layers, 64);
  EXPECT_EQ(p->n_embd, 5120);
  EXPECT_EQ(p->n_ff, 17408);
  EXPECT_FALSE(p->tied);
}
