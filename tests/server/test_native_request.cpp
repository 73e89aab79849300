// llama.cpp's /completion and /infill bodies -> what the scheduler runs: llama-server's sampling
// conventions, n_predict, the editors' limits, the token ids a stream needs, and prompts as text,
// ids or both mixed.
#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/native_request.h"
#include "tokenizer/vocab.h"

namespace trit {
namespace {

using json = nlohmann::json;

class NativeRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.tokenizer = &tok_;
    ctx_.context = 64;
  }
  const tokenizer::Tokenizer tok_{tokenizer::make_byte_vocab()};
  server::RequestContext ctx_;
};

TEST_F(NativeRequestTest, LlamaServerConventions) {
  server::NativeRequest r = server::parse_native_completion(
      {{"prompt", "hi"}, {"seed", 7}, {"temperature", -1}, {"top_k", -5}, {"n_predict", 12}, {"repeat_last_n", 32},
       {"n_indent", 4}, {"t_max_predict_ms", 250}},
      ctx_);
  const engine::GenerateOptions& o = r.generation.scheduled.options;
  EXPECT_EQ(o.sampling.seed, 7u);
  EXPECT_EQ(o.sampling.temperature, 0.0f);  // negative: greedy
  EXPECT_EQ(o.sampling.top_k, 0);           // <= 0: off
  EXPECT_EQ(o.sampling.repeat_last_n, 32);
  EXPECT_EQ(o.max_tokens, 12);
  EXPECT_EQ(o.min_indent, 4);
  EXPECT_DOUBLE_EQ(o.max_decode_seconds, 0.25);
  EXPECT_EQ(r.generation.scheduled.logprobs, -1);
  EXPECT_FALSE(r.generation.scheduled.token_ids);

  // seed -1 (and its unsigned spelling) draws a seed instead of using it.
  ctx_.random_seed = false;
  ctx_.sampling_defaults.seed = 42;
  EXPECT_EQ(server::parse_native_completion({{"prompt", "hi"}, {"seed", -1}}, ctx_).generation.scheduled.options.sampling.seed, 42u);
  EXPECT_EQ(server::parse_native_completion({{"prompt", "hi"}, {"seed", 4294967295u}}, ctx_)
                .generation.scheduled.options.sampling.seed,
            42u);
  // n_predict -1 runs on; n_predict wins over max_tokens.
  EXPECT_EQ(server::parse_native_completion({{"prompt", "hi"}, {"n_predict", -1}}, ctx_).generation.scheduled.options.max_tokens, -1);
  EXPECT_EQ(server::parse_native_completion({{"prompt", "hi"}, {"max_tokens", 5}, {"n_predict", 3}}, ctx_)
                .generation.scheduled.options.max_tokens,
            3);
}

// "samplers" says which samplers run: llama.vim's list leaves min_p and temperature out, so
// llama-server draws from the top-k/top-p set at temperature 1, and so does trit.
TEST_F(NativeRequestTest, SamplerListTurnsOffWhatItLeavesOut) {
  ctx_.sampling_defaults.repeat_penalty = 1.1f;
  const engine::SamplingParams vim =
      server::parse_native_infill({{"input_prefix", "a"}, {"top_k", 40}, {"top_p", 0.99}, {"temperature", 0.2},
                                   {"samplers", json::array({"top_k", "top_p", "infill"})}},
                                  ctx_)
          .generation.scheduled.options.sampling;
  EXPECT_EQ(vim.top_k, 40);
  EXPECT_FLOAT_EQ(vim.top_p, 0.99f);
  EXPECT_EQ(vim.min_p, 0.0f);
  EXPECT_EQ(vim.temperature, 1.0f);
  EXPECT_EQ(vim.repeat_penalty, 1.0f);
  const engine::SamplingParams letters =
      server::parse_native_completion({{"prompt", "a"}, {"temperature", 0.5}, {"samplers", "ekt"}}, ctx_)
          .generation.scheduled.options.sampling;
  EXPECT_EQ(letters.temperature, 0.5f);
  EXPECT_EQ(letters.top_p, 1.0f);
  EXPECT_EQ(letters.min_p, 0.0f);
  EXPECT_FLOAT_EQ(letters.repeat_penalty, 1.1f);
  EXPECT_EQ(letters.top_k, ctx_.sampling_defaults.top_k);
  // Without a list, the defaults stand.
  const engine::SamplingParams plain =
      server::parse_native_completion({{"prompt", "a"}}, ctx_).generation.scheduled.options.sampling;
  EXPECT_EQ(plain.min_p, ctx_.sampling_defaults.min_p);
  EXPECT_EQ(plain.temperature, ctx_.sampling_defaults.temperature);
  for (const json& bad : {json::array({"top_k", "magic"}), json("kq"), json(5), json::array({1})}) {
    try {
      server::parse_native_completion({{"prompt", "a"}, {"samplers", bad}}, ctx_);
      ADD_FAILURE() << bad.dump();
    } catch (const server::ApiError& e) {
      EXPECT_EQ(e.param(), "samplers") << bad.dump();
    }
  }
}

// grammar and json_schema set the grammar the generation runs under, from the first token (no
// chat template, so nothing to think first); an empty grammar is none, as in llama-server.
TEST_F(NativeRequestTest, GrammarAndJsonSchemaSetTheGrammar) {
  const engine::GenerateOptions g =
      server::parse_native_completion({{"prompt", "a"}, {"grammar", "root ::= \"yes\" | \"no\""}}, ctx_)
          .generation.scheduled.options;
  EXPECT_TRUE(g.grammar);
  EXPECT_EQ(g.grammar_after, "");
  EXPECT_TRUE(server::parse_native_infill({{"input_prefix", "a"}, {"json_schema", {{"type", "boolean"}}}}, ctx_)
                  .generation.scheduled.options.grammar);
  EXPECT_FALSE(server::parse_native_completion({{"prompt", "a"}, {"grammar", ""}}, ctx_).generation.scheduled.options.grammar);
  EXPECT_FALSE(server::parse_native_completion({{"prompt", "a"}, {"json_schema", nullptr}}, ctx_)
                   .generation.scheduled.options.grammar);
  struct Bad {
    json body;
    const char* param;
    const char* says;
  };
  for (const Bad& b : std::vector<Bad>{
           {{{"grammar", "root ::= undefined"}}, "grammar", "not a valid grammar"},
           {{{"json_schema", {{"type", "string"}, {"pattern", "^a+$"}}}}, "json_schema", "pattern"},
           {{{"json_schema", "object"}}, "json_schema", "JSON Schema object"},
           {{{"grammar", "root ::= \"a\""}, {"json_schema", {{"type", "boolean"}}}}, "grammar", "not both"},
       }) {
    json body = b.body;
    body["prompt"] = "a";
    try {
      server::parse_native_completion(body, ctx_);
      ADD_FAILURE() << body.dump();
    } catch (const server::ApiError& e) {
      EXPECT_EQ(e.param(), b.param) << body.dump();
      EXPECT_NE(std::string(e.what()).find(b.says), std::string::npos) << e.what();
    }
  }
}

TEST_F(NativeRequestTest, TokensAndProbabilitiesAskedOnlyWhenShown) {
  auto streamed = server::parse_native_completion({{"prompt", "hi"}, {"stream", true}}, ctx_);
  EXPECT_TRUE(streamed.generation.scheduled.token_ids);
  EXPECT_EQ(streamed.generation.scheduled.logprobs, -1);
  auto with_ids = server::parse_native_completion({{"prompt", "hi"}, {"return_tokens", true}}, ctx_);
  EXPECT_TRUE(with_ids.return_tokens);
  EXPECT_TRUE(with_ids.generation.scheduled.token_ids);
  auto probs = server::parse_native_completion({{"prompt", "hi"}, {"n_probs", 5}}, ctx_);
  EXPECT_EQ(probs.n_probs, 5);
  EXPECT_EQ(probs.generation.scheduled.logprobs, 5);
}

TEST_F(NativeRequestTest, PromptsAsTextIdsOrMixed) {
  const std::vector<int32_t> hi = tok_.encode("hi");
  EXPECT_EQ(server::parse_native_completion({{"prompt", "hi"}}, ctx_).generation.scheduled.prompt, hi);
  EXPECT_EQ(server::parse_native_completion({{"prompt", json::array({"hi"})}}, ctx_).generation.scheduled.prompt, hi);
  EXPECT_EQ(server::parse_native_completion({{"prompt", json(hi)}}, ctx_).generation.scheduled.prompt, hi);
  std::vector<int32_t> mixed = {hi[0]};
  for (int32_t t : tok_.encode("hi")) mixed.push_back(t);
  EXPECT_EQ(server::parse_native_completion({{"prompt", json::array({hi[0], "hi"})}}, ctx_).generation.scheduled.prompt,
            mixed);
  // Control tokens in prompt text are parsed, as llama-server does (a prompt from /apply-template).
  const std::vector<int32_t> im_start = server::parse_native_completion({{"prompt", "<|im_start|>"}}, ctx_)
                                            .generation.scheduled.prompt;
  ASSERT_EQ(im_start.size(), 1u);
  EXPECT_EQ(im_start[0], *tok_.find_token("<|im_start|>"));
  EXPECT_THROW(server::parse_native_completion({{"prompt", json::array({"a", "b"})}}, ctx_), server::ApiError);
  EXPECT_THROW(server::parse_native_completion({{"prompt", json::array({json::array({1}), "b"})}}, ctx_),
               server::ApiError);
}

TEST_F(NativeRequestTest, InfillLeavesRoomForTheAnswer) {
  std::string prefix;
  for (int i = 0; i < 100; ++i) prefix += "word ";
  auto r = server::parse_native_infill({{"input_prefix", prefix}, {"input_suffix", "end"}, {"n_predict", 20}}, ctx_);
  EXPECT_LE(static_cast<int64_t>(r.generation.scheduled.prompt.size()) + 20, ctx_.context);
  const std::string text = tok_.decode(r.generation.scheduled.prompt);
  EXPECT_NE(text.find("word <|fim_suffix|>end<|fim_middle|>"), std::string::npos) << text;
}

}  // namespace
}  // namespace trit
