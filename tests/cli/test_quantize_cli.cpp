// `trit quantize` end to end: the report, --json, and every refusal leaving no output file (nor
// a temporary one) behind.
#include <gtest/gtest.h>

#include "formats/type_info.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "gguf/reader.h"

using namespace trit;
namespace fs = std::filesystem;
using test::shell_quote;

namespace {

// Files in `dir` other than those named.
std::vector<std::string> stray_files(const std::string& dir, const std::vector<std::string>& expected = {}) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (std::find(expected.begin(), expected.end(), name) == expected.end()) out.push_back(name);
  }
  return out;
}

// A failure: non-zero exit, no crash, one "error: ..." line mentioning `needle`.
void expect_clean_failure(const test::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

}  // namespace

TEST(QuantizeCli, ReportsEveryMatrixLossless) {
  const std::string dir = test::scratch_dir();
  const std::string out = dir + "/q2.gguf";
  auto r = test::run_trit("quantize " + shell_quote(test::make_model("tiny", "f16", 1)) + " " + shell_quote(out) + " q2_0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // tiny: token_embd + 7 matrices in each of 2 blocks.
  EXPECT_NE(r.out.find("15 of 15 matrices lossless"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("blk.1.ffn_down.weight"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("f16 -> q2_0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept in F32"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("LOSSY"), std::string::npos) << r.out;
  // Not a terminal: no carriage returns, just the start and finish lines.
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_NE(r.err.find("quantize 24 tensors to q2_0: started"), std::string::npos) << r.err;
}

TEST(QuantizeCli, JsonReport) {
  const std::string dir = test::scratch_dir();
  auto r = test::run_trit("quantize --json " + shell_quote(test::make_model("tiny", "f16", 1)) + " " +
                          shell_quote(dir + "/q.gguf") + " q2_0_g64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["type"], "q2_0_g64");
  EXPECT_EQ(j["file_type"], 41);
  EXPECT_EQ(j["matrices"], 15);
  EXPECT_EQ(j["all_lossless"], true);
  ASSERT_EQ(j["tensors"].size(), 24u);
  EXPECT_EQ(j["tensors"][0]["name"], "token_embd.weight");
  EXPECT_EQ(j["tensors"][0]["to"], "q2_0_g64");
  EXPECT_EQ(j["tensors"][1]["to"], "f32");
  gguf::File f = gguf::File::open(dir + "/q.gguf");
  EXPECT_EQ(f.q2_0_layout(), formats::Format::q2_0_g64);
}

TEST(QuantizeCli, UnsupportedTypeLeavesNothing) {
  const std::string dir = test::scratch_dir();
  auto r = test::run_trit("quantize " + shell_quote(test::make_model("tiny", "f16", 1)) + " " +
                          shell_quote(dir + "/out.gguf") + " q4_k");
  expect_clean_failure(r, "unsupported type 'q4_k'");
  // The list comes from the type registry.
  EXPECT_NE(r.err.find(formats::join_names(formats::quantize_type_names())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("q2_0, q2_0_g64, pq2_0, ptq1_0, q1_0, q8_0, f16, bf16, f32"), std::string::npos) << r.err;
  EXPECT_TRUE(stray_files(dir).empty());
}

TEST(QuantizeCli, CorruptInputLeavesNothing) {
  const std::string dir = test::scratch_dir();
  const std::string good = test::read_file(test::make_model("tiny", "f16", 1));
  // Truncated: the tensor data runs past the end.
  test::write_file(dir + "/cut.gguf", good.substr(0, good.size() / 2));
  // A garbled tensor count in the header.
  std::string garbled = good;
  garbled[8] = '\x7f';
  garbled[12] = '\x7f';
  test::write_file(dir + "/garbled.gguf", garbled);
  test::write_file(dir + "/text.gguf", "this is not a model");
  for (const char* name : {"cut.gguf", "garbled.gguf", "text.gguf"}) {
    auto r = test::run_trit("quantize " + shell_quote(dir + "/" + name) + " " + shell_quote(dir + "/out.gguf") + " q2_0");
    expect_clean_failure(r, name);
    EXPECT_EQ(stray_files(dir, {"cut.gguf", "garbled.gguf", "text.gguf"}), std::vector<std::string>{}) << name;
  }
}

TEST(QuantizeCli, UnwritableDestinationLeavesNothing) {
  const std::string dir = test::scratch_dir();
  const std::string in = shell_quote(test::make_model("tiny", "f16", 1));
  // A folder that does not exist, and a "folder" that is a file (these fail for root too).
  auto r = test::run_trit("quantize " + in + " " + shell_quote(dir + "/no/such/dir/out.gguf") + " q2_0");
  expect_clean_failure(r, "cannot create output file");
  test::write_file(dir + "/plain", "x");
  r = test::run_trit("quantize " + in + " " + shell_quote(dir + "/plain/out.gguf") + " q2_0");
  expect_clean_failure(r, "cannot create output file");
  EXPECT_EQ(stray_files(dir, {"plain"}), std::vector<std::string>{});
  // An existing output without --force.
  test::write_file(dir + "/exists.gguf", "keep me");
  r = test::run_trit("quantize " + in + " " + shell_quote(dir + "/exists.gguf") + " q2_0");
  expect_clean_failure(r, "already exists");
  EXPECT_EQ(test::read_file(dir + "/exists.gguf"), "keep me");
}

TEST(QuantizeCli, DiskFullLeavesNothing) {
  const std::string dir = test::scratch_dir();
  // A file size limit of 1 MiB stands in for a full disk: writes past it fail with EFBIG
  // (SIGXFSZ ignored, so the write returns an error instead of killing the process).
  auto r = test::run_command("trap '' XFSZ; ulimit -f 1024; " + shell_quote(test::trit_bin()) + " quantize " +
                             shell_quote(test::make_model("tiny", "f16", 1)) + " " + shell_quote(dir + "/out.gguf") +
                             " f32");
  expect_clean_failure(r, "write failed");
  EXPECT_EQ(stray_files(dir), std::vector<std::string>{});
}

TEST(QuantizeCli, RefusesToOverwriteTheInput) {
  const std::string dir = test::scratch_dir();
  fs::copy_file(test::make_model("tiny", "f16", 1), dir + "/model.gguf");
  const std::string before = test::read_file(dir + "/model.gguf");
  fs::create_directory(dir + "/sub");
  fs::create_symlink(dir + "/model.gguf", dir + "/link.gguf");
  fs::create_hard_link(dir + "/model.gguf", dir + "/hard.gguf");
  for (const std::string& out : {dir + "/model.gguf", dir + "/sub/../model.gguf", dir + "/link.gguf", dir + "/hard.gguf"}) {
    auto r = test::run_trit("quantize --force " + shell_quote(dir + "/model.gguf") + " " + shell_quote(out) + " q2_0");
    expect_clean_failure(r, "is the input file");
  }
  EXPECT_EQ(test::read_file(dir + "/model.gguf"), before);
  EXPECT_EQ(stray_files(dir, {"model.gguf", "sub", "link.gguf", "hard.gguf"}), std::vector<std::string>{});
}

TEST(QuantizeCli, MobyF16ReproducesTheQ2_0File) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  const std::string models = test::shared_dir() + "/models/";
  const std::string out = test::scratch_dir() + "/moby-q2.gguf";
  auto r = test::run_trit("quantize " + shell_quote(models + "moby-tiny-F16.gguf") + " " + shell_quote(out) + " q2_0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("29 of 29 matrices lossless"), std::string::npos) << r.out;
  gguf::File a = gguf::File::open(out), b = gguf::File::open(models + "moby-tiny-Q2_0.gguf");
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const auto &x = a.tensors()[i], &y = b.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.ggml_type, y.ggml_type) << x.name;
    ASSERT_EQ(x.size, y.size) << x.name;
    EXPECT_EQ(0, std::memcmp(x.data, y.data, x.size)) << x.name << " differs from moby-tiny-Q2_0.gguf";
  }
  EXPECT_EQ(a.get_uint("general.file_type"), b.get_uint("general.file_type"));
  // The whole file matches, metadata included.
  EXPECT_TRUE(test::read_file(out) == test::read_file(models + "moby-tiny-Q2_0.gguf"));
}
