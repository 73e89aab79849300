// `trit run` and `trit serve` share one generation loop (engine/sequence.h) and one prompt
// builder (engine/prompt.h), so the same prompt, seed and temperature give the same tokens from
// either: raw text against /v1/completions, a chat turn against /v1/chat/completions. Sampling at
// temperature 0.8 makes every draw depend on the seeded generator, the penalties' history and
// the logits, so any drift in prompt building or bookkeeping shows as different text.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include "common/test_util.h"
#include "serve_process.h"
#include "tokenizer/chat.h"

namespace trit {
namespace {

using json = nlohmann::json;
using test::shell_quote;

struct RunOutput {
  std::string text;  // without trit run's final newline
  int tokens = -1;   // "decode: N tokens" on stderr
};

RunOutput run_cli(const std::string& model, const std::string& args) {
  auto r = test::run_trit("run -m " + shell_quote(model) + " -t 1 " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunOutput out;
  if (r.out.empty() || r.out.back() != '\n') {
    ADD_FAILURE() << "trit run should end its output with a newline: " << r.out;
    return out;
  }
  out.text = r.out.substr(0, r.out.size() - 1);
  std::smatch m;
  if (std::regex_search(r.err, m, std::regex("decode: ([0-9]+) tokens"))) out.tokens = std::stoi(m[1]);
  return out;
}

json post(test::ServeProcess& server, const std::string& path, const json& body) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);
  auto res = c.Post(path, body.dump(), "application/json");
  if (!res || res->status != 200) {
    ADD_FAILURE() << path << " failed: " << (res ? res->body : "no response") << "\n" << server.log();
    return json::object();
  }
  return json::parse(res->body);
}

TEST(RunMatchesServe, SameSeedAndTemperatureGiveTheSameText) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  test::ServeProcess server("-m " + shell_quote(model) + " -t 1 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();

  for (int seed : {42, 7}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::string sampling = " --temp 0.8 --seed " + std::to_string(seed) + " -n 24";

    // Raw text: no chat format on either side.
    RunOutput raw = run_cli(model, "--raw -p 'abc'" + sampling);
    json completion = post(server, "/v1/completions",
                           {{"prompt", "abc"}, {"temperature", 0.8}, {"seed", seed}, {"max_tokens", 24}});
    EXPECT_FALSE(raw.text.empty());
    EXPECT_EQ(completion["choices"][0]["text"], raw.text);
    EXPECT_EQ(completion["usage"]["completion_tokens"], raw.tokens);

    // A chat turn with a system message and thinking off, rendered by each side's own code.
    RunOutput chat = run_cli(model, "--sys 'Be brief.' --no-think -p 'Hello there'" + sampling);
    json answer = post(server, "/v1/chat/completions",
                       {{"messages", {{{"role", "system"}, {"content", "Be brief."}},
                                      {{"role", "user"}, {"content", "Hello there"}}}},
                        {"chat_template_kwargs", {{"enable_thinking", false}}},
                        {"temperature", 0.8},
                        {"seed", seed},
                        {"max_tokens", 24}});
    // The server parses what the model wrote (reasoning, tool calls) as the CLI's text would be.
    const tokenizer::AssistantOutput expected = tokenizer::parse_assistant_output(chat.text);
    const json& message = answer["choices"][0]["message"];
    EXPECT_EQ(message.value("content", json(nullptr)).is_string() ? message["content"].get<std::string>() : "",
              expected.content);
    EXPECT_EQ(message.value("reasoning_content", ""), expected.reasoning);
    EXPECT_EQ(answer["usage"]["completion_tokens"], chat.tokens);
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// trit_draft_tokens_total from /metrics. The scheduler refreshes the metrics after the step that
// finished a request, which may come just after the client has its answer: wait up to 5 s for
// the count to exceed `above` (returns the last count seen).
int64_t drafted_so_far(test::ServeProcess& server, int64_t above = -1) {
  httplib::Client c("127.0.0.1", server.port());
  int64_t count = -1;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto metrics = c.Get("/metrics");
    std::smatch m;
    if (!metrics || !std::regex_search(metrics->body, m, std::regex("trit_draft_tokens_total ([0-9]+)"))) {
      ADD_FAILURE() << "no trit_draft_tokens_total in /metrics";
      return -1;
    }
    count = std::stoll(m[1]);
    if (count > above) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return count;
}

// The draft count once the last request's step has been counted (the answer reaches the client
// before the step's metrics are updated): two reads 200 ms apart that agree.
int64_t settled_drafts(test::ServeProcess& server) {
  int64_t last = drafted_so_far(server);
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int64_t now = drafted_so_far(server);
    if (now == last) return now;
    last = now;
  }
  return last;
}

const std::vector<std::string> kSpeculationPrompts = {"The whale, the whale, the whale", "Call me Ishmael. Some years ago",
                                                       "one two three one two three one", "It was the best of times, it was"};

// Two rounds of the prompts sent side by side (one batch; the second reuses the slots' memories):
// each greedy answer of `tokens` tokens equals trit run's. Returns trit run's texts.
std::vector<std::string> expect_concurrent_rounds_match_run(test::ServeProcess& server, const std::string& model,
                                                            const std::vector<std::string>& prompts, int tokens) {
  std::vector<std::string> expected;
  for (const auto& p : prompts)
    expected.push_back(run_cli(model, "--raw --temp 0 -n " + std::to_string(tokens) + " -p " + shell_quote(p)).text);
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> clients;
    std::vector<json> answers(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i)
      clients.emplace_back([&, i] {
        answers[i] = post(server, "/v1/completions", {{"prompt", prompts[i]}, {"temperature", 0}, {"max_tokens", tokens}});
      });
    for (auto& c : clients) c.join();
    for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(answers[i]["choices"][0]["text"], expected[i]) << prompts[i];
  }
  return expected;
}

// trit serve --spec ngram: at temperature 0 every request's text equals trit run's without drafts,
// also with requests decoding side by side in one batch (each slot's drafts get their own logits
// rows), and /metrics counts the drafts.
TEST(RunMatchesServe, NgramSpeculationKeepsGreedyText) {
  const bool trained = test::have_shared();
  const std::string model = trained ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf" : test::make_model("tiny", "q2_0", 3);
  test::ServeProcess server("-m " + shell_quote(model) + " -t 1 --parallel 3 --spec ngram --draft-max 6");
  ASSERT_TRUE(server.ok()) << server.log();
  const std::vector<std::string> prompts = kSpeculationPrompts;
  const std::vector<std::string> expected = expect_concurrent_rounds_match_run(server, model, prompts, 40);
  const int64_t drafted = drafted_so_far(server, trained ? 0 : -1);
  if (trained) {
    EXPECT_GT(drafted, 0) << "the moby model's greedy text repeats: drafts are made";
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// trit serve -md: a draft model per slot, its drafts in the continuous batch; at temperature 0
// every request's text equals trit run's without drafts, side by side in one batch and in a second
// round (the slots' draft memories reused); /metrics counts drafts; per request, speculative.n_max 0
// turns them off and speculative.p_min is the draft model's floor (1: nothing is sure enough).
TEST(RunMatchesServe, DraftModelKeepsGreedyText) {
  const bool trained = test::have_shared();
  const std::string model = trained ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf" : test::make_model("tiny", "q2_0", 3);
  const std::string draft = trained ? test::shared_dir() + "/models/moby-tiny-F16.gguf" : test::make_model("tiny", "f16", 8);
  test::ServeProcess server("-m " + shell_quote(model) + " -md " + shell_quote(draft) + " -t 1 --parallel 3 --draft-max 6");
  ASSERT_TRUE(server.ok()) << server.log();
  const std::vector<std::string> prompts = kSpeculationPrompts;
  const std::vector<std::string> expected = expect_concurrent_rounds_match_run(server, model, prompts, 40);
  const int64_t drafted = settled_drafts(server);
  EXPECT_GT(drafted, 0);
  for (const json& off : {json{{"speculative.n_max", 0}}, json{{"speculative.p_min", 1.0}}}) {
    SCOPED_TRACE(off.dump());
    json request = {{"prompt", prompts[1]}, {"temperature", 0}, {"max_tokens", 40}};
    request.update(off);
    EXPECT_EQ(post(server, "/v1/completions", request)["choices"][0]["text"], expected[1]);
    EXPECT_EQ(settled_drafts(server), drafted) << "no drafts";
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// --spec mtp on a server: each slot's MTP drafts verified in the shared batch, the text as `trit
// run` gives it; speculative.n_max 0 turns it off for a request, p_min is taken.
TEST(RunMatchesServe, MtpHeadKeepsGreedyText) {
  const std::string model = test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp");
  test::ServeProcess server("-m " + shell_quote(model) + " --spec mtp -t 1 --parallel 3 --draft-max 3");
  ASSERT_TRUE(server.ok()) << server.log();
  EXPECT_NE(server.log().find("MTP head: block 8"), std::string::npos) << server.log();
  const std::vector<std::string> prompts = kSpeculationPrompts;
  const std::vector<std::string> expected = expect_concurrent_rounds_match_run(server, model, prompts, 32);
  const int64_t drafted = settled_drafts(server);
  EXPECT_GT(drafted, 0);
  json off = {{"prompt", prompts[1]}, {"temperature", 0}, {"max_tokens", 32}, {"speculative.n_max", 0}};
  EXPECT_EQ(post(server, "/v1/completions", off)["choices"][0]["text"], expected[1]);
  EXPECT_EQ(settled_drafts(server), drafted) << "no drafts";
  json floor = {{"prompt", prompts[1]}, {"temperature", 0}, {"max_tokens", 32}, {"speculative.p_min", 0.5}};
  EXPECT_EQ(post(server, "/v1/completions", floor)["choices"][0]["text"], expected[1]);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// llama-server's per-request fields: speculative.n_max > 0 drafts on a server started without
// --spec, 0 turns drafts off on one started with it; the text is the same either way; bad values
// and p_min (a draft model's setting, on a server without one) are 400s naming the field.
TEST(RunMatchesServe, PerRequestSpeculativeFields) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent (the moby model's text repeats, so drafts are made)";
  const std::string model = test::shared_dir() + "/models/moby-tiny-Q2_0.gguf";
  const json base = {{"prompt", "The whale, the whale, the whale"}, {"temperature", 0}, {"max_tokens", 40}};
  const std::string expected = run_cli(model, "--raw --temp 0 -n 40 -p 'The whale, the whale, the whale'").text;
  for (bool server_drafts : {false, true}) {
    SCOPED_TRACE(server_drafts ? "server --spec ngram" : "server without --spec");
    test::ServeProcess server("-m " + shell_quote(model) + " -t 1" + (server_drafts ? " --spec ngram" : ""));
    ASSERT_TRUE(server.ok()) << server.log();
    json request = base;
    request["speculative.n_max"] = server_drafts ? 0 : 6;
    request["speculative.n_min"] = 0;
    EXPECT_EQ(post(server, "/v1/completions", request)["choices"][0]["text"], expected);
    if (server_drafts) {
      EXPECT_EQ(settled_drafts(server), 0) << "n_max 0 turned drafting off";
    } else {
      EXPECT_GT(drafted_so_far(server, 0), 0) << "n_max 6 turned drafting on";
    }
    EXPECT_EQ(post(server, "/completion", {{"prompt", "The whale, the whale, the whale"}, {"temperature", 0}, {"n_predict", 40},
                                           {"speculative.n_max", 3}})["content"], expected);
    httplib::Client c("127.0.0.1", server.port());
    for (const auto& [field, value] : std::vector<std::pair<std::string, json>>{
             {"speculative.n_max", -1}, {"speculative.n_max", "many"}, {"speculative.n_min", 999}, {"speculative.p_min", 0.5}}) {
      json bad = base;
      bad[field] = value;
      auto res = c.Post("/v1/completions", bad.dump(), "application/json");
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 400) << field << " " << value.dump();
      EXPECT_NE(res->body.find(field), std::string::npos) << res->body;
    }
    json inverted = base;
    inverted["speculative.n_max"] = 2;
    inverted["speculative.n_min"] = 3;
    auto res = c.Post("/v1/completions", inverted.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    EXPECT_EQ(server.stop(), 0) << server.log();
  }
}

}  // namespace
}  // namespace trit
