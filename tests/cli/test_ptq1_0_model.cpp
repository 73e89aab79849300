// A PTQ1_0 model end to end: `trit mkmodel --type ptq1_0` draws the same weights as `--type q2_0`
// for a seed (both ternary, group 128), so the two files must give the same greedy tokens and the
// same perplexity (to 0.1%; they run the same int8 arithmetic, so in practice equal); `trit
// quantize` of the f16 twin to ptq1_0 is lossless for every matrix; `trit info` names the type.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "common/test_util.h"

namespace trit {
namespace {

using test::shell_quote;

std::string greedy(const std::string& model) {
  auto r = test::run_trit("run -m " + shell_quote(model) +
                          " --raw -p \"Call me Ishmael. Some years ago\" -n 32 --temp 0 -t 2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

double perplexity(const std::string& model, const std::string& text) {
  auto r = test::run_trit("perplexity --json -t 2 -m " + shell_quote(model) + " -f " + shell_quote(text) +
                          " -c 64 --chunks 4");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return NAN;
  return nlohmann::json::parse(r.out)["ppl"]["value"].get<double>();
}

TEST(Ptq1_0Model, SameGreedyTokensAndPerplexityAsTheQ2_0FileOfTheSeed) {
  for (int seed : {3, 8}) {
    const std::string q2 = test::make_model("tiny", "q2_0", seed), ptq = test::make_model("tiny", "ptq1_0", seed);
    const std::string out_q2 = greedy(q2), out_ptq = greedy(ptq);
    EXPECT_FALSE(out_q2.empty());
    EXPECT_EQ(out_ptq, out_q2) << "seed " << seed;
    const std::string dir = test::scratch_dir();
    std::string text;
    for (int i = 0; i < 20; ++i) text += "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail. ";
    test::write_file(dir + "/text.txt", text);
    const double a = perplexity(q2, dir + "/text.txt"), b = perplexity(ptq, dir + "/text.txt");
    EXPECT_GT(a, 1.0);
    EXPECT_LE(std::fabs(a - b) / a, 1e-3) << "q2_0 " << a << " ptq1_0 " << b;
  }
}

TEST(Ptq1_0Model, QuantizeOfTheF16TwinIsLossless) {
  const std::string dir = test::scratch_dir();
  const std::string out = dir + "/ptq.gguf";
  auto r = test::run_trit("quantize " + shell_quote(test::make_model("tiny", "f16", 1)) + " " + shell_quote(out) +
                          " ptq1_0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("15 of 15 matrices lossless"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("f16 -> ptq1_0"), std::string::npos) << r.out;
  // The quantized file equals the mkmodel one of the seed, greedy for greedy.
  EXPECT_EQ(greedy(out), greedy(test::make_model("tiny", "ptq1_0", 1)));
  auto info = test::run_trit("info " + shell_quote(out));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("ptq1_0"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("1.750"), std::string::npos) << info.out;
}

}  // namespace
}  // namespace trit
