// `trit mkmodel` through the binary: determinism, bad options, and the real-size presets the
// issue names (4b: about 1,020 MiB and 4.02 B parameters; 1.7b: about 0.45 GiB).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "tools/synthetic_model.h"

using namespace trit;
namespace fs = std::filesystem;

namespace {

nlohmann::json info_json(const std::string& path) {
  test::CommandResult r = test::run_trit("info --json " + test::shell_quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// Makes a real-size preset in the scratch folder, checks it, and deletes it (they are large).
nlohmann::json make_and_describe(const std::string& preset) {
  std::string path = test::scratch_dir() + "/" + preset + ".gguf";
  test::CommandResult r =
      test::run_trit("mkmodel --preset " + preset + " --type q2_0 -q -o " + test::shell_quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = info_json(path);
  fs::remove(path);
  return j;
}

}  // namespace

TEST(CliMkmodel, SameSeedSameBytes) {
  std::string dir = test::scratch_dir();
  for (const char* name : {"a.gguf", "b.gguf"}) {
    test::CommandResult r = test::run_trit("mkmodel --preset tiny --type q1_0 --seed 9 -q -o " +
                                           test::shell_quote(dir + "/" + name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(test::read_file(dir + "/a.gguf"), test::read_file(dir + "/b.gguf"));
}

TEST(CliMkmodel, SummaryLine) {
  std::string path = test::scratch_dir() + "/m.gguf";
  test::CommandResult r = test::run_trit("mkmodel --preset tiny --type f16 -o " + test::shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("preset tiny, type f16"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(path));
}

TEST(CliMkmodel, HelpListsEveryPreset) {
  test::CommandResult r = test::run_trit("mkmodel --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& name : tools::preset_names()) EXPECT_NE(r.out.find(name), std::string::npos) << name;
  EXPECT_NE(r.out.find("qwen35-tiny"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("27b"), std::string::npos) << r.out;
}

TEST(CliMkmodel, Qwen35TinySummaryLine) {
  std::string path = test::scratch_dir() + "/q35.gguf";
  test::CommandResult r = test::run_trit("mkmodel --preset qwen35-tiny --type pq2_0 -o " + test::shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("preset qwen35-tiny, type pq2_0, 109 tensors, 6.7 M parameters"), std::string::npos) << r.out;
  nlohmann::json j = info_json(path);
  EXPECT_EQ(j["parameters"].get<uint64_t>(), 6656200u);
}

TEST(CliMkmodel, RefusesToOverwriteWithoutForce) {
  std::string path = test::scratch_dir() + "/m.gguf";
  test::write_file(path, "mine");
  test::CommandResult r = test::run_trit("mkmodel --preset tiny -q -o " + test::shell_quote(path));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(path), "mine");
  r = test::run_trit("mkmodel --preset tiny -q --force -o " + test::shell_quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(path), "mine");
}

TEST(CliMkmodel, BadOptions) {
  std::string out = test::shell_quote(test::scratch_dir() + "/m.gguf");
  for (const std::string& args : std::vector<std::string>{"--preset 13b -o " + out, "--type q4_0 -o " + out, std::string("--preset tiny"),
                                  "--tokenizer /nonexistent/tokenizer.json -o " + out,
                                  "--tokenizer-config /nonexistent/c.json -o " + out, "--seed abc -o " + out}) {
    test::CommandResult r = test::run_trit("mkmodel " + args);
    EXPECT_EQ(r.signal, 0) << args;
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  EXPECT_FALSE(fs::exists(test::scratch_dir() + "/m.gguf"));
}

TEST(CliMkmodel, Preset4bMatchesTheRealFile) {
  nlohmann::json j = make_and_describe("4b");
  EXPECT_EQ(j["parameters"].get<uint64_t>(), 4022468096u);  // "4.02 B"
  double mib = j["file_bytes"].get<double>() / 1048576.0;
  EXPECT_NEAR(mib, 1020.0, 8.0);
  EXPECT_EQ(j["model"]["layers"], 36);
  EXPECT_EQ(j["model"]["hidden"], 2560);
  EXPECT_EQ(j["model"]["ffn"], 9728);
  EXPECT_EQ(j["model"]["heads"], 32);
  EXPECT_EQ(j["model"]["kv_heads"], 8);
  EXPECT_EQ(j["model"]["kv_bytes_per_position_f16"], 36 * 2 * 8 * 128 * 2);  // layers x K,V x kv heads x head_dim x f16
  EXPECT_EQ(j["model"]["vocab"], 151936);
  EXPECT_EQ(j["model"]["tied_embeddings"], true);
  EXPECT_EQ(j["q2_0_group"], 128);
}

TEST(CliMkmodel, Preset1_7bMatchesTheRealFile) {
  nlohmann::json j = make_and_describe("1.7b");
  // 1.72 B weights at 2.125 bits are 457 MB = 0.43 GiB (the "~0.45" of the table is that figure
  // in decimal GB, 0.46, rounded).
  double gib = j["file_bytes"].get<double>() / 1073741824.0;
  EXPECT_NEAR(gib, 0.44, 0.02);
  EXPECT_NEAR(j["parameters"].get<double>() / 1e9, 1.72, 0.01);  // Qwen3-1.7B: 1.72 B with the embedding
  EXPECT_EQ(j["model"]["layers"], 28);
  EXPECT_EQ(j["model"]["hidden"], 2048);
  EXPECT_EQ(j["model"]["tied_embeddings"], true);
}
