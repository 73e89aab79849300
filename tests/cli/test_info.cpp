// `trit info`: the summary of a made model (text and JSON), and broken files: one error line,
// exit code 1, no signal, no hang.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"

using namespace trit;

namespace {

std::string broken_file(const std::string& name, const std::string& bytes) {
  std::string path = test::scratch_dir() + "/" + name;
  test::write_file(path, bytes);
  return path;
}

// Runs info under a time limit (a hang shows as exit 124) and checks the one-line error.
void expect_one_line_error(const std::string& path, const std::string& must_contain) {
  test::CommandResult r = test::run_command("timeout 30 " + test::shell_quote(test::trit_bin()) + " info " +
                                            test::shell_quote(path));
  EXPECT_EQ(r.signal, 0) << path << ": killed by a signal";
  EXPECT_EQ(r.exit_code, 1) << path << "\n" << r.err;
  EXPECT_EQ(r.out, "") << path;
  ASSERT_FALSE(r.err.empty()) << path;
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(must_contain), std::string::npos) << r.err;
}

std::string le64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

TEST(CliInfo, DescribesATinyModel) {
  std::string model = test::make_model("tiny", "q2_0", 1);
  test::CommandResult r = test::run_trit("info " + test::shell_quote(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"architecture:  qwen3", "q2_0", "f32", "q2_0 group:    128", "2 layers", "hidden 256",
                           "4 query heads", "2 kv heads", "head dim 64", "tokenizer:     gpt2 (pre qwen2)",
                           "eos", "<|im_end|>", "chat template: yes", "bits/weight:"})
    EXPECT_NE(r.out.find(text), std::string::npos) << "missing '" << text << "' in\n" << r.out;
}

TEST(CliInfo, JsonOutput) {
  std::string model = test::make_model("tiny", "q2_0_g64", 1);
  test::CommandResult r = test::run_trit("info --json " + test::shell_quote(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "qwen3");
  EXPECT_EQ(j["q2_0_group"], 64);
  EXPECT_EQ(j["model"]["layers"], 2);
  EXPECT_EQ(j["model"]["vocab"], j["tokenizer"]["vocab_size"]);
  EXPECT_EQ(j["tokenizer"]["model"], "gpt2");
  EXPECT_EQ(j["tokenizer"]["special"]["eos"]["text"], "<|im_end|>");
  EXPECT_EQ(j["tokenizer"]["add_bos"], false);
  EXPECT_EQ(j["chat_template"], true);
  uint64_t params = 0, bytes = 0;
  for (const auto& t : j["types"]) {
    params += t["parameters"].get<uint64_t>();
    bytes += t["bytes"].get<uint64_t>();
  }
  EXPECT_EQ(params, j["parameters"].get<uint64_t>());
  EXPECT_EQ(bytes, j["tensor_bytes"].get<uint64_t>());
  EXPECT_GT(j["bits_per_weight"].get<double>(), 2.25);
  EXPECT_LT(j["bits_per_weight"].get<double>(), 2.4);
}

TEST(CliInfo, RealMobyFile) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  test::CommandResult r = test::run_trit("info --json " + test::shell_quote(test::shared_dir() + "/models/moby-tiny-Q2_0.gguf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["q2_0_group"], 128);
  EXPECT_EQ(j["model"]["layers"], 4);
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 151936);
  EXPECT_EQ(j["tokenizer"]["special"]["eos"]["id"], 151645);
}

TEST(CliInfo, BadMagic) { expect_one_line_error(broken_file("magic.gguf", "GGUX" + std::string(100, '\0')), "bad magic"); }

TEST(CliInfo, TruncatedFile) {
  std::string full = test::read_file(test::make_model("tiny", "q2_0", 1));
  ASSERT_GT(full.size(), 1000u);
  for (size_t n : {size_t{3}, size_t{10}, size_t{30}, full.size() / 10, full.size() / 2, full.size() - 1})
    expect_one_line_error(broken_file("cut" + std::to_string(n) + ".gguf", full.substr(0, n)), "");
  expect_one_line_error(broken_file("half.gguf", full.substr(0, full.size() / 2)), "truncated");
}

TEST(CliInfo, TensorPastTheEnd) {
  std::string g = "GGUF" + le32(3) + le64(1) + le64(0);
  g += le64(1) + "w" + le32(1) + le64(8) + le32(0) + le64(4096);
  g.resize(96, '\0');  // header and tensor info (57 bytes) padded to 64, then 32 bytes of data
  expect_one_line_error(broken_file("past.gguf", g), "'w' starts at 4096, past the end");
}

TEST(CliInfo, Q2_0ExtentsFittingNeitherGroup) {
  // 256 x 2 type-42 elements: 136 bytes as group 128, 144 as group 64; the extent is 200.
  std::string g = "GGUF" + le32(3) + le64(1) + le64(0);
  g += le64(1) + "w" + le32(2) + le64(256) + le64(2) + le32(42) + le64(0);
  g.resize(96, '\0');  // header 24 + tensor info 41 bytes, padded to the 32-byte alignment
  g += std::string(200, '\x55');
  expect_one_line_error(broken_file("q2.gguf", g), "fits neither group 128");
}

TEST(CliInfo, AbsurdStringLength) {
  std::string g = "GGUF" + le32(3) + le64(0) + le64(1) + le64(uint64_t{1} << 61) + std::string(64, 'k');
  expect_one_line_error(broken_file("string.gguf", g), "claims");
}

TEST(CliInfo, MissingAndEmptyFiles) {
  expect_one_line_error(test::scratch_dir() + "/does-not-exist.gguf", "cannot open");
  expect_one_line_error(broken_file("empty.gguf", ""), "empty");
  expect_one_line_error(broken_file("text.gguf", "hello, world\n"), "bad magic");
}
