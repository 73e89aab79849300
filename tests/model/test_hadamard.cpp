// Bonsai 2's Hadamard contract (model/hadamard.h) on mkmodel --hadamard files: the rotated file
// computes what its primal twin (tools/primal_twin.h: the rotation folded back into F32 weights)
// computes, in the engine and in the f64 reference (which folds the rotation with H written out);
// the same stored weights without the keys compute something else; every key outside the
// contract is refused by name.
#include <gtest/gtest.h>

#include <functional>

#include "common/test_util.h"
#include "engine/engine.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "model/logit_compare.h"
#include "model/reference_forward.h"
#include "model/reference_qwen35.h"
#include "model/weights.h"
#include "tools/primal_twin.h"
#include "util/error.h"

namespace trit {
namespace {

using test::random_tokens;
using test::relative_error;

engine::EngineOptions options(kernels::ActivationPrecision activations) {
  engine::EngineOptions o;
  o.activations = activations;
  o.threads = 2;
  o.context = 64;
  o.kv_types = {kernels::KvType::f32, kernels::KvType::f32};
  return o;
}

// Logits of every position of `prompt`.
std::vector<float> logits_of(engine::Engine& engine, const std::vector<int32_t>& prompt) {
  auto memory = engine.new_sequence();
  model::SequenceStep step{memory.get(), prompt, true};
  return engine.forward().run(std::span(&step, 1));
}

double worst_error(const std::vector<float>& engine, const std::vector<std::vector<double>>& reference, int64_t vocab) {
  double worst = 0;
  for (size_t t = 0; t < reference.size(); ++t) worst = std::max(worst, relative_error(&engine[t * vocab], reference[t]));
  return worst;
}

std::vector<std::vector<double>> as_rows(const std::vector<float>& logits, int64_t vocab) {
  std::vector<std::vector<double>> rows;
  for (size_t at = 0; at < logits.size(); at += vocab) rows.emplace_back(logits.begin() + at, logits.begin() + at + vocab);
  return rows;
}

// (preset, weight type, activations): qwen35-tiny (ssm_out in grouped order, untied head) and the
// dense tiny (tied head: the latent embedding is also the LM head); f32 pins the math, q2_0 with
// int8x2 activations runs the ternary kernels on rotated inputs.
using Case = std::tuple<std::string, std::string, kernels::ActivationPrecision>;
class HadamardTwin : public ::testing::TestWithParam<Case> {};

TEST_P(HadamardTwin, RotatedFileComputesWhatItsPrimalTwinAndTheReferenceCompute) {
  const auto& [preset, type, activations] = GetParam();
  const std::string rotated = test::make_model(preset, type, 7, "--hadamard");
  const std::string twin = test::scratch_dir() + "/twin.gguf";
  const tools::PrimalTwinResult made = tools::write_primal_twin(rotated, twin, true);
  EXPECT_GT(made.unrotated, 5u);
  EXPECT_FALSE(gguf::File::open(twin).has("prism.hadamard.block_size"));

  engine::Engine on_rotated(rotated, options(activations)), on_twin(twin, options(activations));
  ASSERT_TRUE(on_rotated.model().rotation().has_value());
  ASSERT_FALSE(on_twin.model().rotation().has_value());
  const int64_t vocab = on_rotated.config().n_vocab;
  const std::vector<int32_t> prompt = random_tokens(13, static_cast<int>(vocab), 5);
  const std::vector<float> a = logits_of(on_rotated, prompt), b = logits_of(on_twin, prompt);
  EXPECT_LT(worst_error(a, as_rows(b, vocab), vocab), 1e-3) << "rotated file vs its primal twin";

  const gguf::File& file = on_rotated.model().file();
  const auto reference = preset.rfind("qwen35", 0) == 0 ? test::ReferenceQwen35(file).forward(prompt)
                                                        : test::ReferenceModel(file).forward(prompt);
  EXPECT_LT(worst_error(a, reference, vocab), 1e-3) << "rotated file vs the f64 reference";

  // The same stored weights read without the rotation are another model: the keys matter.
  engine::Engine unrotated(test::make_model(preset, type, 7), options(activations));
  EXPECT_GT(worst_error(logits_of(unrotated, prompt), reference, vocab), 0.05);

  // Greedy decoding token by token agrees.
  auto ma = on_rotated.new_sequence(), mb = on_twin.new_sequence();
  std::vector<int32_t> next = {prompt[0]};
  for (int i = 0; i < 8; ++i) {
    model::SequenceStep sa{ma.get(), next, false};
    const std::vector<float> la = on_rotated.forward().run(std::span(&sa, 1));
    model::SequenceStep sb{mb.get(), next, false};
    const std::vector<float>& lb = on_twin.forward().run(std::span(&sb, 1));
    const int32_t ta = static_cast<int32_t>(std::max_element(la.begin(), la.end()) - la.begin());
    const int32_t tb = static_cast<int32_t>(std::max_element(lb.begin(), lb.end()) - lb.begin());
    ASSERT_EQ(ta, tb) << "greedy step " << i;
    next = {ta};
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, HadamardTwin,
                         ::testing::Values(Case{"qwen35-tiny", "f32", kernels::ActivationPrecision::int8},
                                           Case{"qwen35-tiny", "q2_0", kernels::ActivationPrecision::int8x2},
                                           Case{"tiny", "f32", kernels::ActivationPrecision::int8}),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// A copy of `in` at `out` whose metadata `edit` changed.
void rewrite(const std::string& in, const std::string& out,
             const std::function<void(std::vector<std::pair<std::string, gguf::Value>>&)>& edit) {
  gguf::File file = gguf::File::open(in);
  std::vector<std::pair<std::string, gguf::Value>> keys(file.metadata().begin(), file.metadata().end());
  edit(keys);
  gguf::Writer writer(out, true, file.alignment());
  for (const auto& [k, v] : keys) writer.set(k, v);
  for (const gguf::TensorInfo& t : file.tensors()) writer.add_tensor({t.name, t.dims, t.type->ggml_id, t.size});
  writer.begin_data();
  for (const gguf::TensorInfo& t : file.tensors()) writer.write(t.data, t.size);
  writer.finish();
}

using Keys = std::vector<std::pair<std::string, gguf::Value>>;
gguf::Value& key(Keys& keys, const std::string& name) {
  for (auto& [k, v] : keys)
    if (k == "prism.hadamard." + name) return v;
  throw std::runtime_error("no key " + name);
}
void drop(Keys& keys, const std::string& name) {
  std::erase_if(keys, [&](const auto& kv) { return kv.first == "prism.hadamard." + name; });
}
void add_weight(Keys& keys, const std::string& weight) {
  std::vector<std::string> names;
  for (const gguf::Value& v : key(keys, "weight_names").array().items) names.push_back(std::get<std::string>(v.data));
  names.push_back(weight);
  key(keys, "weight_names") = gguf::Value::of_strings(names);
}

TEST(HadamardContract, KeysOutsideTheContractAreRefusedByName) {
  const std::string rotated = test::make_model("qwen35-tiny", "q2_0", 3, "--hadamard");
  const std::string path = test::scratch_dir() + "/edited.gguf";
  ASSERT_NO_THROW(model::Model::load(rotated));
  const std::vector<std::pair<std::function<void(Keys&)>, std::string>> cases = {
      {[](Keys& k) { key(k, "version") = gguf::Value{uint32_t{2}}; }, "prism.hadamard.version = 2"},
      {[](Keys& k) { drop(k, "version"); }, "prism.hadamard.version is missing"},
      {[](Keys& k) { key(k, "transform") = gguf::Value{std::string("fourier")}; }, "prism.hadamard.transform = 'fourier'"},
      {[](Keys& k) { key(k, "axis") = gguf::Value{std::string("output-first-dimension")}; }, "prism.hadamard.axis"},
      {[](Keys& k) { key(k, "sign_mode") = gguf::Value{std::string("random")}; }, "prism.hadamard.sign_mode = 'random'"},
      {[](Keys& k) { key(k, "block_size") = gguf::Value{uint32_t{96}}; }, "block_size = 96 is not a power of two"},
      {[](Keys& k) { key(k, "block_size") = gguf::Value{uint32_t{256}}; }, "width 384, not a multiple"},
      {[](Keys& k) {
         std::vector<int32_t> v;
         for (const gguf::Value& s : key(k, "sign_values").array().items) v.push_back(std::get<int32_t>(s.data));
         v[7] = 3;
         key(k, "sign_values") = gguf::Value::of_i32s(v);
       },
       "sign_values[7] = 3 is not +1 or -1"},
      {[](Keys& k) {
         // Widths are written in increasing order: drop the last (512) and its values.
         std::vector<int32_t> w, v;
         for (const gguf::Value& s : key(k, "sign_widths").array().items) w.push_back(std::get<int32_t>(s.data));
         for (const gguf::Value& s : key(k, "sign_values").array().items) v.push_back(std::get<int32_t>(s.data));
         v.resize(v.size() - w.back());
         w.pop_back();
         key(k, "sign_widths") = gguf::Value::of_i32s(w);
         key(k, "sign_values") = gguf::Value::of_i32s(v);
       },
       "width 512, which has no sign vector"},
      {[](Keys& k) { add_weight(k, "blk.0.missing.weight"); }, "'blk.0.missing.weight', which is not a tensor"},
      {[](Keys& k) { add_weight(k, "blk.0.attn_norm.weight"); }, "'blk.0.attn_norm.weight', which is not a matrix"},
      {[](Keys& k) {
         // The conv taps are 2-D, 4 wide: with block 2 and identity signs the keys themselves hold.
         key(k, "block_size") = gguf::Value{uint32_t{2}};
         key(k, "sign_mode") = gguf::Value{std::string("identity")};
         add_weight(k, "blk.0.ssm_conv1d.weight");
       },
       "not a matrix this model multiplies"},
      {[](Keys& k) { add_weight(k, "token_embd.weight"); }, "a lookup table"},
      {[](Keys& k) { key(k, "inverse_weight_names") = gguf::Value::of_strings({"output.weight"}); }, "latent rows only"},
      {[](Keys& k) { k.emplace_back("prism.hadamard.row_order", gguf::Value{std::string("reversed")}); },
       "prism.hadamard.row_order is not part of the Hadamard contract"},
  };
  for (const auto& [edit, message] : cases) {
    rewrite(rotated, path, [&](Keys& k) { edit(k); });
    try {
      model::Model::load(path);
      ADD_FAILURE() << "loaded; expected: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace trit
