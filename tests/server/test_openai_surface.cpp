// The OpenAI surface beyond one plain answer, against the real `trit serve` on the tiny model:
// logit_bias, n and batched prompts, GET /v1/models/{id}, string error codes, CORS preflights
// for the official SDKs' headers, and per-request reasoning control.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/test_util.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

json error_of(const httplib::Result& res) {
  if (!res) return nullptr;
  try {
    return json::parse(res->body).value("error", json(nullptr));
  } catch (const json::exception&) {
    return nullptr;
  }
}

int32_t token_of(httplib::Client& c, const std::string& text) {
  auto res = c.Post("/tokenize", json{{"content", text}}.dump(), "application/json");
  if (!res || res->status != 200) return -1;
  const json ids = json::parse(res->body)["tokens"];
  return ids.size() == 1 ? ids[0].get<int32_t>() : -1;
}

// Posts `body` and expects a 400 whose error names `param`.
void expect_400(httplib::Client& c, const std::string& path, const std::string& body, const std::string& param) {
  auto res = c.Post(path, body, "application/json");
  ASSERT_TRUE(res) << body;
  EXPECT_EQ(res->status, 400) << body << " -> " << res->body;
  json err = error_of(res);
  ASSERT_TRUE(err.is_object()) << res->body;
  EXPECT_EQ(err["type"], "invalid_request_error") << res->body;
  EXPECT_EQ(err["param"], param) << body << " -> " << res->body;
}

TEST(OpenAiSurface, LogitBiasIsValidatedAndApplied) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 256");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  const std::string chat = R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, )";
  for (const char* bias : {R"("bad")", R"([1, 2])", R"({"x": 1})", R"({"-1": 1})", R"({"99999999": 1})",
                           R"({"5": 101})", R"({"5": -100.5})", R"({"5": "1"})"}) {
    expect_400(c, "/v1/chat/completions", chat + R"("logit_bias": )" + bias + "}", "logit_bias");
    expect_400(c, "/v1/completions", R"({"prompt": "a", "logit_bias": )" + std::string(bias) + "}", "logit_bias");
  }

  const int32_t z = token_of(c, "z");
  ASSERT_GE(z, 0);
  auto forced = c.Post("/v1/completions",
                       json{{"prompt", "abc"}, {"max_tokens", 4}, {"temperature", 0.7}, {"seed", 1},
                            {"logit_bias", {{std::to_string(z), 100}}}}.dump(),
                       "application/json");
  ASSERT_TRUE(forced);
  ASSERT_EQ(forced->status, 200) << forced->body;
  EXPECT_EQ(json::parse(forced->body)["choices"][0]["text"], "zzzz") << forced->body;

  // -100 bans: the greedy answer's first token never comes again.
  auto plain = c.Post("/v1/completions", R"({"prompt": "abc", "max_tokens": 1, "temperature": 0, "logprobs": 0})",
                      "application/json");
  ASSERT_EQ(plain->status, 200) << plain->body;
  const std::string first = json::parse(plain->body)["choices"][0]["text"];
  const int32_t first_id = token_of(c, first);
  ASSERT_GE(first_id, 0) << first;
  auto banned = c.Post("/v1/completions",
                       json{{"prompt", "abc"}, {"max_tokens", 1}, {"temperature", 0},
                            {"logit_bias", {{std::to_string(first_id), -100}}}}.dump(),
                       "application/json");
  ASSERT_EQ(banned->status, 200) << banned->body;
  EXPECT_NE(json::parse(banned->body)["choices"][0]["text"], first) << banned->body;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

}  // namespace
}  // namespace trit
