// NativeStream on crafted output: llama-server's stop_type for each way a generation ends, the
// timings arithmetic, completion_probabilities, response_fields, and a cut or failed generation
// answered as an error (never as a normal stop), streamed and not.
#include <gtest/gtest.h>

#include "server/native_stream.h"
#include "tokenizer/vocab.h"

namespace trit {
namespace {

using json = nlohmann::json;

std::vector<json> payloads(const std::string& events) {
  std::vector<json> out;
  size_t pos = 0;
  while ((pos = events.find("data: ", pos)) != std::string::npos) {
    const size_t end = events.find("\n\n", pos);
    out.push_back(json::parse(events.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  return out;
}

class NativeStreamTest : public ::testing::Test {
 protected:
  engine::RequestOutput piece(const std::string& text, int32_t token) {
    engine::RequestOutput out;
    out.text = text;
    engine::SampledToken t;
    t.token = token;
    t.logprob = -0.5f;
    t.top = {{token, -0.5f}, {token + 1, -1.5f}};
    out.tokens.push_back(t);
    return out;
  }
  engine::RequestOutput end(engine::StopReason reason, const std::string& error = "") {
    engine::RequestOutput out;
    out.done = true;
    out.result.reason = reason;
    out.result.error = error;
    out.result.prompt_tokens = 10;
    out.result.cached_tokens = 4;
    out.result.generated_tokens = 5;
    out.result.prompt_seconds = 0.012;
    out.result.decode_seconds = 0.2;
    out.result.slot = 1;
    if (reason == engine::StopReason::stop_string) out.result.stop_string = "END";
    return out;
  }
  const tokenizer::Tokenizer tok_{tokenizer::make_byte_vocab()};
  server::GenerationRequest request_;
  server::NativeRequest native_;
};

TEST_F(NativeStreamTest, StopTypesAndTimings) {
  const std::pair<engine::StopReason, const char*> cases[] = {
      {engine::StopReason::end_of_generation, "eos"},
      {engine::StopReason::stop_string, "word"},
      {engine::StopReason::max_tokens, "limit"},
      {engine::StopReason::context_full, "limit"},
  };
  for (const auto& [reason, type] : cases) {
    server::NativeStream s(request_, native_, tok_, "m", 64);
    s.accumulate(piece("ab", 65));
    s.accumulate(end(reason));
    json o = s.final_object();
    EXPECT_EQ(o["stop_type"], type);
    EXPECT_EQ(o["stopping_word"], reason == engine::StopReason::stop_string ? "END" : "");
    EXPECT_EQ(o["truncated"], reason == engine::StopReason::context_full);
    EXPECT_EQ(o["content"], "ab");
    EXPECT_EQ(o["tokens"], json::array());  // return_tokens not asked
    EXPECT_EQ(o["id_slot"], 1);
    EXPECT_EQ(o["tokens_evaluated"], 10);
    EXPECT_EQ(o["tokens_cached"], 4);
    EXPECT_EQ(o["tokens_predicted"], 5);
    EXPECT_EQ(o["generation_settings"]["n_ctx"], 64);
  }
  server::NativeStream s(request_, native_, tok_, "m", 64);
  s.accumulate(end(engine::StopReason::max_tokens));
  const json t = s.final_object()["timings"];
  EXPECT_EQ(t["prompt_n"], 6);  // 10 prompt tokens, 4 of them cached
  EXPECT_NEAR(t["prompt_ms"].get<double>(), 12.0, 1e-9);
  EXPECT_NEAR(t["prompt_per_token_ms"].get<double>(), 2.0, 1e-9);
  EXPECT_NEAR(t["prompt_per_second"].get<double>(), 500.0, 1e-6);
  EXPECT_EQ(t["predicted_n"], 5);
  EXPECT_NEAR(t["predicted_ms"].get<double>(), 200.0, 1e-9);
  // decode_seconds runs from the first token to the last: 4 intervals for 5 tokens.
  EXPECT_NEAR(t["predicted_per_token_ms"].get<double>(), 50.0, 1e-9);
  EXPECT_NEAR(t["predicted_per_second"].get<double>(), 20.0, 1e-9);
}

TEST_F(NativeStreamTest, ProbabilitiesTokensAndResponseFields) {
  native_.n_probs = 2;
  native_.return_tokens = true;
  server::NativeStream s(request_, native_, tok_, "m", 64);
  s.accumulate(piece("A", 65));
  s.accumulate(piece("B", 66));
  s.accumulate(end(engine::StopReason::max_tokens));
  json o = s.final_object();
  EXPECT_EQ(o["tokens"], json::array({65, 66}));
  ASSERT_EQ(o["completion_probabilities"].size(), 2u);
  const json& p = o["completion_probabilities"][1];
  EXPECT_EQ(p["id"], 66);
  EXPECT_EQ(p["token"], tok_.token_bytes(66));
  EXPECT_FLOAT_EQ(p["logprob"].get<float>(), -0.5f);
  ASSERT_EQ(p["top_logprobs"].size(), 2u);
  EXPECT_EQ(p["top_logprobs"][1]["id"], 67);
  EXPECT_EQ(p["top_logprobs"][1]["bytes"].size(), tok_.token_bytes(67).size());

  native_.response_fields = {"content", "timings/prompt_n", "missing", "generation_settings/nope"};
  server::NativeStream picked(request_, native_, tok_, "m", 64);
  picked.accumulate(piece("A", 65));
  picked.accumulate(end(engine::StopReason::max_tokens));
  EXPECT_EQ(picked.final_object(), json({{"content", "A"}, {"timings/prompt_n", 6}}));
}

TEST_F(NativeStreamTest, StreamEndsWithStopTrueAndNoDoneLine) {
  native_.n_probs = 1;
  request_.stream = true;
  server::NativeStream s(request_, native_, tok_, "m", 64);
  std::string events = s.stream_events(piece("A", 65));
  events += s.stream_events(piece("B", 66));
  events += s.stream_events(end(engine::StopReason::end_of_generation));
  EXPECT_EQ(events.find("[DONE]"), std::string::npos);
  std::vector<json> chunks = payloads(events);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0]["content"], "A");
  EXPECT_EQ(chunks[0]["stop"], false);
  EXPECT_EQ(chunks[0]["tokens"], json::array({65}));
  EXPECT_EQ(chunks[1]["completion_probabilities"].size(), 1u);
  EXPECT_EQ(chunks[1]["tokens_predicted"], 2);
  EXPECT_EQ(chunks[2]["stop"], true);
  EXPECT_EQ(chunks[2]["content"], "");
  EXPECT_EQ(chunks[2]["stop_type"], "eos");
  EXPECT_TRUE(chunks[2]["timings"].is_object());
}

TEST_F(NativeStreamTest, CutOrFailedGenerationIsAnError) {
  for (const auto& [reason, error, word] :
       {std::tuple{engine::StopReason::cancelled, "", "shutting down"},
        std::tuple{engine::StopReason::cancelled, "out of memory", "shutting down"},
        std::tuple{engine::StopReason::max_tokens, "forward step failed", "generation failed"}}) {
    server::NativeStream s(request_, native_, tok_, "m", 64);
    s.accumulate(piece("partial", 65));
    s.accumulate(end(reason, error));
    json o = s.final_object();
    ASSERT_TRUE(o.contains("error")) << o.dump();
    EXPECT_FALSE(o.contains("stop_type")) << o.dump();
    EXPECT_NE(o["error"]["message"].get<std::string>().find(word), std::string::npos) << o.dump();

    server::NativeStream streamed(request_, native_, tok_, "m", 64);
    std::string events = streamed.stream_events(piece("partial", 65));
    events += streamed.stream_events(end(reason, error));
    std::vector<json> chunks = payloads(events);
    ASSERT_EQ(chunks.size(), 2u);
    ASSERT_TRUE(chunks[1].contains("error")) << events;
    EXPECT_EQ(events.find("\"stop\":true"), std::string::npos) << events;
  }
}

}  // namespace
}  // namespace trit
