// trit quantize as a library: lossless re-quantization of ternary models (the output's tensor
// bytes equal mkmodel's for the same seed), the error report of a non-ternary source, and the
// conversion of single rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "common/test_util.h"
#include "formats/fp16.h"
#include "formats/type_info.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "model/weights.h"
#include "tools/quantize.h"
#include "tools/quantize_rows.h"

using namespace trit;
namespace fs = std::filesystem;

namespace {

tools::QuantizeReport quantize(const std::string& in, const std::string& out, const std::string& type) {
  tools::QuantizeOptions o;
  o.input = in;
  o.output = out;
  o.type = type;
  o.overwrite = true;
  o.threads = 2;
  o.progress = Progress::Mode::off;
  return tools::quantize_model(o);
}

// Every tensor of `a` and `b`: same names, order, dims, types and data bytes.
void expect_same_tensors(const std::string& a_path, const std::string& b_path) {
  gguf::File a = gguf::File::open(a_path), b = gguf::File::open(b_path);
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const gguf::TensorInfo &x = a.tensors()[i], &y = b.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.dims, y.dims) << x.name;
    EXPECT_EQ(x.type, y.type) << x.name;
    ASSERT_EQ(x.size, y.size) << x.name;
    EXPECT_EQ(0, std::memcmp(x.data, y.data, x.size)) << x.name << ": tensor bytes differ";
  }
}

void expect_all_lossless(const tools::QuantizeReport& r) {
  EXPECT_GT(r.matrices(), 0u);
  EXPECT_EQ(r.lossless_matrices(), r.matrices());
  for (const tools::TensorReport& t : r.tensors) {
    EXPECT_TRUE(t.lossless) << t.name;
    EXPECT_EQ(t.mismatches, 0u) << t.name;
    EXPECT_EQ(t.rms_error, 0.0) << t.name;
    if (!t.matrix) {
      EXPECT_EQ(t.to, "f32") << t.name;
    }
  }
}

}  // namespace

TEST(Quantize, F16ToQ2_0EqualsMkmodelQ2_0) {
  const std::string dir = test::scratch_dir();
  const std::string out = dir + "/q2.gguf";
  tools::QuantizeReport r = quantize(test::make_model("tiny", "f16", 7), out, "q2_0");
  expect_all_lossless(r);
  EXPECT_EQ(r.file_type, 41u);
  expect_same_tensors(out, test::make_model("tiny", "q2_0", 7));
  // The metadata survives, with general.file_type updated.
  gguf::File in = gguf::File::open(test::make_model("tiny", "f16", 7)), q = gguf::File::open(out);
  ASSERT_EQ(in.metadata().size(), q.metadata().size());
  for (size_t i = 0; i < in.metadata().size(); ++i) EXPECT_EQ(in.metadata()[i].first, q.metadata()[i].first);
  EXPECT_EQ(q.get_uint("general.file_type"), 41u);
  EXPECT_EQ(in.get_string_array("tokenizer.ggml.tokens"), q.get_string_array("tokenizer.ggml.tokens"));
  EXPECT_EQ(in.get_string_array("tokenizer.ggml.merges"), q.get_string_array("tokenizer.ggml.merges"));
}

TEST(Quantize, Bf16ToQ2_0EqualsMkmodelQ2_0) {
  const std::string out = test::scratch_dir() + "/q2.gguf";
  expect_all_lossless(quantize(test::make_model("tiny", "bf16", 3), out, "q2_0"));
  expect_same_tensors(out, test::make_model("tiny", "q2_0", 3));
}

TEST(Quantize, Q2_0Group64RoundTrips) {
  const std::string dir = test::scratch_dir();
  // A group-64 model through F16 and back gives its own bytes again.
  const std::string g64 = test::make_model("tiny", "q2_0_g64", 5);
  expect_all_lossless(quantize(g64, dir + "/f16.gguf", "f16"));
  expect_all_lossless(quantize(dir + "/f16.gguf", dir + "/g64.gguf", "q2_0_g64"));
  expect_same_tensors(dir + "/g64.gguf", g64);
  // Group 128 -> group 64 is lossless (each half of a group keeps the scale, or is all zero),
  // equals F16 -> group 64, and converts back to the group-128 bytes.
  expect_all_lossless(quantize(test::make_model("tiny", "q2_0", 5), dir + "/a.gguf", "q2_0_g64"));
  expect_all_lossless(quantize(test::make_model("tiny", "f16", 5), dir + "/b.gguf", "q2_0_g64"));
  expect_same_tensors(dir + "/a.gguf", dir + "/b.gguf");
  expect_all_lossless(quantize(dir + "/a.gguf", dir + "/c.gguf", "q2_0"));
  expect_same_tensors(dir + "/c.gguf", test::make_model("tiny", "q2_0", 5));
}

TEST(Quantize, NoisySourceIsReportedLossy) {
  const std::string dir = test::scratch_dir();
  const std::string noisy = dir + "/noisy.gguf";
  // The f16 model with every matrix value scaled by 1 + U(-0.2, 0.2): no longer ternary.
  {
    gguf::File in = gguf::File::open(test::make_model("tiny", "f16", 2));
    gguf::Writer w(noisy, true, in.alignment());
    for (const auto& [k, v] : in.metadata()) w.set(k, v);
    for (const gguf::TensorInfo& t : in.tensors()) w.add_tensor({t.name, t.dims, t.ggml_type, t.size});
    w.begin_data();
    uint32_t state = 12345;
    for (const gguf::TensorInfo& t : in.tensors()) {
      std::vector<uint8_t> bytes(t.data, t.data + t.size);
      if (t.type->format == formats::Format::f16) {
        auto* h = reinterpret_cast<uint16_t*>(bytes.data());
        for (size_t i = 0; i < t.size / 2; ++i) {
          state = state * 1664525u + 1013904223u;
          const float u = static_cast<float>(state >> 8) / 16777216.0f;  // [0, 1)
          h[i] = formats::f32_to_fp16(formats::fp16_to_f32(h[i]) * (0.8f + 0.4f * u));
        }
      }
      w.write(bytes.data(), bytes.size());
    }
    w.finish();
  }
  tools::QuantizeReport r = quantize(noisy, dir + "/q2.gguf", "q2_0");
  EXPECT_EQ(r.lossless_matrices(), 0u);
  for (const tools::TensorReport& t : r.tensors) {
    if (!t.matrix) {
      EXPECT_TRUE(t.lossless) << t.name;
      continue;
    }
    EXPECT_FALSE(t.lossless) << t.name;
    EXPECT_GT(t.mismatches, t.elements / 4) << t.name;
    EXPECT_GT(t.rms_error, 0.0) << t.name;
    EXPECT_GT(t.rms_relative, 0.01) << t.name;
    EXPECT_LT(t.rms_relative, 0.5) << t.name;
    // Values within +-20% of a ternary level: at most 0.2 of the group's largest value away
    // from a level, and the largest value of a group is rounded only to f16.
    EXPECT_GT(t.max_error_of_scale, 0.05) << t.name;
    EXPECT_LT(t.max_error_of_scale, 0.5) << t.name;
  }
  // Q8_0 of the same noisy weights is lossy too but far closer (1/254 of the group's max).
  tools::QuantizeReport q8 = quantize(noisy, dir + "/q8.gguf", "q8_0");
  EXPECT_EQ(q8.file_type, 7u);
  for (const tools::TensorReport& t : q8.tensors)
    if (t.matrix) {
      EXPECT_LT(t.max_error_of_scale, 0.01) << t.name;
    }
}

TEST(QuantizeRows, ErrorStatisticsOfOneRow) {
  const formats::TypeInfo& f32 = *formats::type_by_name("f32");
  const formats::TypeInfo& q2 = *formats::type_by_name("q2_0");
  // Group 1: exact ternary times 0.5. Group 2: the same with one value moved by 0.1.
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = 0.5f * static_cast<float>(i % 3 - 1);
  x[200] += 0.1f;  // x[200] = 0.5 * ((200 % 3) - 1) = 0.5, now 0.6: the group max, d = 0.6
  std::vector<uint8_t> out(q2.bytes_for(256));
  tools::RowScratch scratch;
  tools::ConversionError e;
  tools::convert_rows(f32, q2, reinterpret_cast<const uint8_t*>(x.data()), out.data(), 1, 256, scratch, e);
  EXPECT_EQ(e.elements, 256u);
  EXPECT_FALSE(e.lossless());
  // In group 2 every +-0.5 becomes +-0.6 (d = 0.6 rounded to f16): 0.1 off, relative to 0.6.
  const float d = formats::fp16_to_f32(formats::f32_to_fp16(0.6f));
  EXPECT_NEAR(e.max_error_of_scale, std::fabs(d - 0.5f) / 0.6f, 1e-6);
  EXPECT_GT(e.mismatches, 60u);
  EXPECT_LT(e.mismatches, 128u);
}

// A Bonsai 2 file keeps its rotation through quantize: the stored (rotated) weights are what is
// converted, the prism.hadamard.* keys are copied, and the output still loads and rotates.
TEST(Quantize, HadamardKeysSurvive) {
  const std::string in = test::make_model("qwen35-tiny", "q2_0", 4, "--hadamard");
  const std::string out = test::scratch_dir() + "/pq2.gguf";
  expect_all_lossless(quantize(in, out, "pq2_0"));
  gguf::File a = gguf::File::open(in), b = gguf::File::open(out);
  size_t keys = 0;
  for (const auto& [key, value] : a.metadata()) {
    if (key.rfind("prism.hadamard.", 0) != 0) continue;
    ++keys;
    ASSERT_TRUE(b.has(key)) << key;
    EXPECT_EQ(gguf::describe_type(*b.find(key)), gguf::describe_type(value)) << key;
  }
  EXPECT_EQ(keys, 10u);
  EXPECT_EQ(a.get_float_array("prism.hadamard.sign_values"), b.get_float_array("prism.hadamard.sign_values"));
  EXPECT_EQ(a.get_string_array("prism.hadamard.weight_names"), b.get_string_array("prism.hadamard.weight_names"));
  // The GDN's dense tensors keep their types, as in the real files.
  EXPECT_EQ(b.find_tensor("blk.0.ssm_alpha.weight")->type->name, std::string("bf16"));
  EXPECT_EQ(b.find_tensor("blk.0.ssm_conv1d.weight")->type->name, std::string("f32"));
  const auto model = model::Model::load(out);
  ASSERT_TRUE(model->rotation().has_value());
  EXPECT_EQ(model->rotation()->rotated.size(), 51u);
}
