// `trit bench`: the llama-bench-like table and its JSON (every repetition, the read bandwidth
// measured before each tg repetition), on a tiny made model; bad arguments name the problem.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"

using namespace trit;

namespace {

TEST(BenchCli, MarkdownTableHasAPpAndATgRow) {
  const std::string model = test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 16 -n 8 -r 2 -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| model | size | params | type | threads | isa | test | t/s | weight GB/s | of read bw |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| pp16 | "), std::string::npos) << r.out;
  const size_t tg = r.out.find("| tg8 | ");
  ASSERT_NE(tg, std::string::npos) << r.out;
  // tg rows carry "NN% of B.B" (share of the measured read bandwidth); pp rows leave it empty.
  EXPECT_NE(r.out.find("% of ", tg), std::string::npos) << r.out;
}

// Figures mean little without the machine: the table is headed by the CPU and the kernel set.
TEST(BenchCli, NamesTheCpuAndTheKernelSet) {
  const std::string model = test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 4 -n 2 -r 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.rfind("CPU: ", 0), 0u) << r.out;
  const std::string head = r.out.substr(0, r.out.find('\n'));
#if defined(__x86_64__)
  EXPECT_EQ(head.find("unknown CPU"), std::string::npos) << head;  // x86-64 CPUs all report a brand
#endif
  EXPECT_NE(head.find("; kernels: "), std::string::npos) << head;
  r = test::run_command("TRIT_ISA=generic " + test::shell_quote(test::trit_bin()) + " bench -m " +
                        test::shell_quote(model) + " -p 4 -n 2 -r 1 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["isa"], "generic");
  EXPECT_EQ(j["kernels"].get<std::string>().rfind("generic: ", 0), 0u) << j.dump();
  EXPECT_EQ(j["cpu"].get<std::string>(), head.substr(5, head.find("; kernels: ") - 5));
}

TEST(BenchCli, JsonCarriesEveryRepetition) {
  const std::string model = test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 8 -n 4 -r 3 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& res : j["results"]) {
    EXPECT_EQ(res["seconds"].size(), 3u) << res.dump();
    EXPECT_EQ(res["tokens_per_second"].size(), 3u) << res.dump();
    for (const auto& s : res["seconds"]) EXPECT_GT(s.get<double>(), 0.0);
  }
  const auto& tg = j["results"][1];
  EXPECT_EQ(tg["test"], "tg4");
  ASSERT_EQ(tg["read_bandwidth_gbs"].size(), 3u);
  for (const auto& b : tg["read_bandwidth_gbs"]) EXPECT_GT(b.get<double>(), 0.1) << "bandwidth not measured";
  // fraction = mean over repetitions of tokens/s x bytes per token / that repetition's bandwidth.
  double expected = 0;
  for (int i = 0; i < 3; ++i)
    expected += tg["tokens_per_second"][i].get<double>() * j["weight_bytes_per_token"].get<double>() / 1e9 /
                tg["read_bandwidth_gbs"][i].get<double>();
  EXPECT_NEAR(tg["fraction_of_read_bandwidth"].get<double>(), expected / 3, 1e-9);
}

TEST(BenchCli, ParallelAddsABatchedTgRowCountingEverySequence) {
  const std::string model = test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 6 -r 2 --parallel 3 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u) << r.out;
  const auto& one = j["results"][0];
  const auto& three = j["results"][1];
  EXPECT_EQ(one["test"], "tg6");
  EXPECT_EQ(one["sequences"], 1);
  EXPECT_EQ(three["test"], "tg6 x3");
  EXPECT_EQ(three["sequences"], 3);
  EXPECT_EQ(three["tokens"], 18);  // 6 steps of 3 sequences
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(three["tokens_per_second"][i].get<double>(), 18 / three["seconds"][i].get<double>(), 1e-6);
  // Weights are read once per step, whatever the number of sequences in it.
  EXPECT_NEAR(three["weight_read_gbs"].get<double>(),
              three["mean_tokens_per_second"].get<double>() / 3 * j["weight_bytes_per_token"].get<double>() / 1e9, 1e-9);
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 4 -r 1 --parallel 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| tg4 x2 | "), std::string::npos) << r.out;
}

TEST(BenchCli, DepthRunsTheTestsAfterThatManyTokensInTheContext) {
  const std::string model = test::make_model("tiny", "q2_0");
  // -c exactly depth + the longer test: every repetition must rewind the cache to the depth, or
  // the second one would overflow the context.
  test::CommandResult r =
      test::run_trit("bench -m " + test::shell_quote(model) + " -p 8 -n 6 -d 20 -c 28 -r 3 --parallel 2 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u) << r.out;
  EXPECT_EQ(j["results"][0]["test"], "pp8 @ d20");
  EXPECT_EQ(j["results"][1]["test"], "tg6 @ d20");
  EXPECT_EQ(j["results"][2]["test"], "tg6 @ d20 x2");
  for (const auto& res : j["results"]) {
    EXPECT_EQ(res["depth"], 20);
    EXPECT_EQ(res["seconds"].size(), 3u);
  }
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 4 -d 20 -r 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| tg4 @ d20 | "), std::string::npos) << r.out;
  // One position short: the error names the depth and the context.
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 8 -n 6 -d 20 -c 27 -r 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("depth (20)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("context of 27"), std::string::npos) << r.err;
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -d -5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("depth"), std::string::npos) << r.err;
}

// --spec ngram: two greedy rows over repeating text, without and with drafts, the second with its
// drafted/accepted counts per repetition (JSON) and an acceptance line (markdown).
TEST(BenchCli, SpecAddsGreedyRowsWithAndWithoutDrafts) {
  const std::string model = test::have_shared() ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf" : test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 24 -r 2 -t 1 --spec ngram --draft-max 4 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u + 5u) << "tg, two greedy rows, verify 1+0 .. 1+4: " << r.out;
  const auto& plain = j["results"][1];
  const auto& drafted = j["results"][2];
  EXPECT_EQ(plain["test"], "tg24 greedy");
  EXPECT_EQ(drafted["test"], "tg24 greedy + ngram");
  EXPECT_EQ(drafted["tokens"], 23) << "timed from the first sampled token";
  ASSERT_EQ(drafted["drafted_tokens"].size(), 2u);
  EXPECT_EQ(plain["drafted_tokens"], nlohmann::json::array({0, 0}));
  for (const auto& n : drafted["drafted_tokens"]) EXPECT_GT(n.get<int>(), 0) << "the prompt repeats: the lookup drafts";
  EXPECT_GE(drafted["acceptance_rate"].get<double>(), 0.0);
  EXPECT_LE(drafted["acceptance_rate"].get<double>(), 1.0);
  test::CommandResult md = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 24 -r 1 -t 1 --spec ngram --draft-max 2");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("tg24 greedy + ngram: drafted "), std::string::npos) << md.out;
}

// --spec draft -md SAME_FILE: the draft model always agrees (the mechanism's upper bound), so every
// draft is accepted; the drafter's share of the time and verification alone are reported; one
// "verify 1+k" row per k = 0 .. --draft-max, each a forward of 1+k tokens.
TEST(BenchCli, SpecDraftReportsAcceptanceDrafterTimeAndVerificationCosts) {
  const std::string model = test::make_model("tiny", "q2_0", 7);
  const std::string args = "bench -m " + test::shell_quote(model) + " -p 0 -n 24 -r 2 -t 1 --spec draft --draft-max 3 -md " +
                           test::shell_quote(model);
  test::CommandResult r = test::run_trit(args + " -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u + 4u) << r.out;
  const auto& drafted = j["results"][2];
  EXPECT_EQ(drafted["test"], "tg24 greedy + draft");
  for (const auto& n : drafted["drafted_tokens"]) EXPECT_GT(n.get<int>(), 0);
  EXPECT_EQ(drafted["acceptance_rate"].get<double>(), 1.0) << "the same weights draft the target's own greedy choices";
  for (const auto& s : drafted["draft_seconds"]) EXPECT_GT(s.get<double>(), 0.0);
  EXPECT_GT(drafted["verification_tokens_per_second"].get<double>(), drafted["mean_tokens_per_second"].get<double>());
  for (int k = 0; k <= 3; ++k) {
    const auto& row = j["results"][3 + k];
    EXPECT_EQ(row["test"], "verify 1+" + std::to_string(k) + " @ d192");
    EXPECT_EQ(row["tokens"], 1 + k);
    EXPECT_GT(row["mean_tokens_per_second"].get<double>(), 0.0);
  }
  test::CommandResult md = test::run_trit(args);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("tg24 greedy + draft: drafted "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("verification alone"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("k=3 "), std::string::npos) << md.out;
}

// --spec mtp on a qwen35 file with an MTP block: the greedy row with the head's drafts, its share
// of the time, and the verify rows.
TEST(BenchCli, SpecMtpDraftsWithTheModelsHead) {
  const std::string model = test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) +
                                         " -p 0 -n 24 -r 2 -t 1 --spec mtp --draft-max 2 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u + 3u) << r.out;
  const auto& drafted = j["results"][2];
  EXPECT_EQ(drafted["test"], "tg24 greedy + mtp");
  for (const auto& n : drafted["drafted_tokens"]) EXPECT_GT(n.get<int>(), 0);
  for (const auto& s : drafted["draft_seconds"]) EXPECT_GT(s.get<double>(), 0.0);
  EXPECT_EQ(j["results"][5]["test"], "verify 1+2 @ d192");
}

TEST(BenchCli, BadArgumentsNameTheProblem) {
  const std::string model = test::make_model("tiny", "q2_0");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p -3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("-p"), std::string::npos) << r.err;
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -c 16 -n 64");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("context"), std::string::npos) << r.err;
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -r 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("repetitions"), std::string::npos) << r.err;
  r = test::run_trit("bench -m " + test::shell_quote(model) + " --parallel 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("parallel"), std::string::npos) << r.err;
}

}  // namespace
