// `trit mkmodel --hadamard [--primal-twin]` and `trit info` on the result: Bonsai 2's keys as the
// real file has them (explicit signs per input width, the real file's set of rotated weights,
// token_embd latent, gdn_v_grouped), a twin without them, and the refusals of bad combinations.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "gguf/reader.h"

using namespace trit;

TEST(CliMkmodelHadamard, WritesTheKeysAndATwinThatInfoDescribes) {
  const std::string dir = test::scratch_dir();
  const std::string path = dir + "/rot.gguf", twin = dir + "/twin.gguf";
  test::CommandResult r = test::run_trit("mkmodel --preset qwen35-tiny --type pq2_0 --hadamard --primal-twin " +
                                         test::shell_quote(twin) + " -o " + test::shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Hadamard block 128, primal twin"), std::string::npos) << r.out;

  gguf::File f = gguf::File::open(path);
  EXPECT_EQ(f.get_int("prism.hadamard.block_size"), 128);
  EXPECT_EQ(f.get_string("prism.hadamard.sign_mode"), "explicit");
  EXPECT_TRUE(f.get_bool("prism.hadamard.gdn_v_grouped"));
  EXPECT_EQ(f.get_string_array("prism.hadamard.inverse_weight_names"), std::vector<std::string>{"token_embd.weight"});
  const std::vector<std::string> rotated = f.get_string_array("prism.hadamard.weight_names");
  // 8 layers: 6 GDN (attn_qkv, attn_gate, ssm_out + 3 FFN), 2 attention (q, k, v, output + 3 FFN), output.
  EXPECT_EQ(rotated.size(), 6u * 6 + 2u * 7 + 1);
  for (const std::string& name : rotated) {
    EXPECT_EQ(name.find("ssm_alpha"), std::string::npos);
    EXPECT_EQ(name.find("ssm_beta"), std::string::npos);
    EXPECT_NE(name, "token_embd.weight");
  }
  EXPECT_EQ(f.get_int_array("prism.hadamard.sign_widths"), (std::vector<int64_t>{256, 384, 512}));
  size_t minus = 0;
  for (float s : f.get_float_array("prism.hadamard.sign_values")) minus += s == -1.0f;
  EXPECT_GT(minus, 300u);  // random signs, not all +1 (1152 values)
  EXPECT_LT(minus, 850u);

  gguf::File t = gguf::File::open(twin);
  for (const auto& [key, value] : t.metadata()) EXPECT_NE(key.rfind("prism.hadamard.", 0), 0u) << key;
  EXPECT_EQ(t.find_tensor("blk.0.attn_qkv.weight")->type->name, std::string("f32"));
  EXPECT_EQ(t.find_tensor("blk.0.ssm_beta.weight")->type->name, std::string("bf16"));

  r = test::run_trit("info " + test::shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hadamard:      Bonsai 2 rotation, block 128, explicit signs for widths 256, 384, 512: 51 weights "
                       "read rotated inputs, latent embedding rows, ssm_out in grouped value order"),
            std::string::npos)
      << r.out;
  r = test::run_trit("info --json " + test::shell_quote(path));
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"]["hadamard"]["rotated_weights"].get<int>(), 51);
}

TEST(CliMkmodelHadamard, BadCombinationsAreRefused) {
  const std::string out = test::shell_quote(test::scratch_dir() + "/m.gguf");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--primal-twin x.gguf", "--primal-twin needs --hadamard"},
           {"--hadamard-block 64", "--hadamard-block needs --hadamard"},
           {"--hadamard --hadamard-block 96", "not a power of two"},
           {"--hadamard --hadamard-block 256", "does not divide every matrix's input width"}}) {
    test::CommandResult r = test::run_trit("mkmodel --preset qwen35-tiny -q " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
  }
}
