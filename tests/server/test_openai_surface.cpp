// The OpenAI surface beyond one plain answer, against the real `trit serve` on the tiny model:
// logit_bias, n and batched prompts, GET /v1/models/{id}, string error codes, CORS preflights
// for the official SDKs' headers, and per-request reasoning control.
#include <gtest/gtest.h>
#include <httplib.h>

#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

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

// n choices per prompt and batched prompts: choices in index order (prompt-major), usage summed
// (prompt tokens once per prompt), streamed chunks carrying their index, limits named.
TEST(OpenAiSurface, SeveralChoicesAndBatchedPrompts) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 256 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120);
  expect_400(c, "/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "n": 9})", "n");
  expect_400(c, "/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "n": 0})", "n");
  expect_400(c, "/v1/completions", R"({"prompt": ["a", 5]})", "prompt");
  expect_400(c, "/v1/completions", R"({"prompt": [[1, 2], []]})", "prompt");
  expect_400(c, "/v1/completions", json{{"prompt", std::vector<std::string>(17, "a")}}.dump(), "prompt");

  auto chat = c.Post("/v1/chat/completions",
                     R"({"messages": [{"role": "user", "content": "hi"}], "n": 3, "max_tokens": 4, "seed": 7})",
                     "application/json");
  ASSERT_TRUE(chat);
  ASSERT_EQ(chat->status, 200) << chat->body;
  json body = json::parse(chat->body);
  ASSERT_EQ(body["choices"].size(), 3u) << chat->body;
  int64_t completion = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(body["choices"][i]["index"], i);
    EXPECT_EQ(body["choices"][i]["message"]["role"], "assistant");
  }
  completion = body["usage"]["completion_tokens"].get<int64_t>();
  EXPECT_GE(completion, 3);
  EXPECT_LE(completion, 12);

  // Two prompts x two choices, greedy: the choices of one prompt agree, in prompt order.
  auto batch = c.Post("/v1/completions",
                      R"({"prompt": ["abc", [10, 11, 12, 13]], "n": 2, "max_tokens": 3, "temperature": 0})",
                      "application/json");
  ASSERT_EQ(batch->status, 200) << batch->body;
  body = json::parse(batch->body);
  ASSERT_EQ(body["choices"].size(), 4u) << batch->body;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(body["choices"][i]["index"], i);
  EXPECT_EQ(body["choices"][0]["text"], body["choices"][1]["text"]);
  EXPECT_EQ(body["choices"][2]["text"], body["choices"][3]["text"]);
  auto single = c.Post("/v1/completions", R"({"prompt": [10, 11, 12, 13], "max_tokens": 3, "temperature": 0})",
                       "application/json");
  ASSERT_EQ(single->status, 200);
  const json one = json::parse(single->body);
  EXPECT_EQ(body["choices"][2]["text"], one["choices"][0]["text"]);
  EXPECT_EQ(body["usage"]["prompt_tokens"].get<int64_t>(),
            one["usage"]["prompt_tokens"].get<int64_t>() + 3);  // "abc" is 3 tokens of the byte vocab
  EXPECT_EQ(body["usage"]["completion_tokens"], 12);

  // Streamed: every choice's chunks carry its index, each ends with a finish_reason, one usage.
  auto stream = c.Post("/v1/chat/completions",
                       R"({"messages": [{"role": "user", "content": "hi"}], "n": 2, "max_tokens": 3, "stream": true,
                           "stream_options": {"include_usage": true}})",
                       "application/json");
  ASSERT_EQ(stream->status, 200) << stream->body;
  int finishes[2] = {0, 0}, usages = 0;
  size_t pos = 0;
  std::string last;
  while ((pos = stream->body.find("data: ", pos)) != std::string::npos) {
    const size_t end = stream->body.find("\n\n", pos);
    last = stream->body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (last == "[DONE]") break;
    const json chunk = json::parse(last);
    ASSERT_FALSE(chunk.contains("error")) << last;
    if (chunk.contains("usage")) {
      ++usages;
      EXPECT_EQ(chunk["usage"]["completion_tokens"], 6) << last;
    }
    for (const json& ch : chunk["choices"]) {
      const int index = ch["index"].get<int>();
      ASSERT_TRUE(index == 0 || index == 1) << last;
      if (!ch["finish_reason"].is_null()) ++finishes[index];
    }
  }
  EXPECT_EQ(last, "[DONE]");
  EXPECT_EQ(finishes[0], 1);
  EXPECT_EQ(finishes[1], 1);
  EXPECT_EQ(usages, 1);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// GET /v1/models/{id}; string error codes; the CORS preflight allows the headers it is asked for.
TEST(OpenAiSurface, ModelByIdErrorCodesAndCors) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 64 --api-key k");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  const httplib::Headers auth = {{"Authorization", "Bearer k"}};
  auto list = c.Get("/v1/models", auth);
  ASSERT_EQ(list->status, 200);
  const std::string id = json::parse(list->body)["data"][0]["id"];
  auto model = c.Get("/v1/models/" + id, auth);
  ASSERT_TRUE(model);
  ASSERT_EQ(model->status, 200) << model->body;
  EXPECT_EQ(json::parse(model->body)["id"], id);
  EXPECT_EQ(json::parse(model->body)["object"], "model");
  auto unknown = c.Get("/v1/models/gpt-nothing", auth);
  ASSERT_EQ(unknown->status, 404);
  EXPECT_EQ(error_of(unknown)["code"], "model_not_found");
  EXPECT_EQ(error_of(unknown)["param"], "model");

  auto no_key = c.Get("/v1/models");
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(error_of(no_key)["code"], "invalid_api_key");
  auto too_long = c.Post("/v1/completions", auth, json{{"prompt", std::string(200, 'a')}}.dump(), "application/json");
  ASSERT_EQ(too_long->status, 400);
  EXPECT_EQ(error_of(too_long)["code"], "context_length_exceeded");
  EXPECT_EQ(error_of(too_long)["param"], "prompt");
  auto bad = c.Post("/v1/chat/completions", auth, R"({"messages": [{"role": "user", "content": "hi"}], "top_p": 3})",
                    "application/json");
  ASSERT_EQ(bad->status, 400);
  EXPECT_TRUE(error_of(bad)["code"].is_null() || error_of(bad)["code"].is_string()) << bad->body;

  // What the openai and anthropic JavaScript SDKs ask for in a browser (no key: preflights carry none).
  const std::string asked = "authorization, content-type, x-stainless-os, x-stainless-lang, x-stainless-retry-count, "
                            "anthropic-version, x-api-key, anthropic-dangerous-direct-browser-access";
  auto preflight = c.Options("/v1/chat/completions", {{"Origin", "http://example.com"},
                                                      {"Access-Control-Request-Method", "POST"},
                                                      {"Access-Control-Request-Headers", asked}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Headers"), asked);
  const std::string methods = preflight->get_header_value("Access-Control-Allow-Methods");
  for (const char* m : {"GET", "POST", "DELETE", "OPTIONS"}) EXPECT_NE(methods.find(m), std::string::npos) << methods;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// reasoning_effort and thinking_budget_tokens: checked, "none" and a zero budget turn thinking off
// in the template (the prompt then holds an empty think block); the engine's forcing of the
// close is tested in tests/engine/test_sequence.cpp.
TEST(OpenAiSurface, ReasoningControl) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 256");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  const std::string chat = R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, )";
  expect_400(c, "/v1/chat/completions", chat + R"("reasoning_effort": "extreme"})", "reasoning_effort");
  expect_400(c, "/v1/chat/completions", chat + R"("reasoning_effort": 3})", "reasoning_effort");
  expect_400(c, "/v1/chat/completions", chat + R"("thinking_budget_tokens": -1})", "thinking_budget_tokens");
  expect_400(c, "/v1/chat/completions", chat + R"("thinking_budget_tokens": "many"})", "thinking_budget_tokens");

  auto prompt_tokens = [&](const std::string& extra) {
    auto res = c.Post("/v1/chat/completions", chat + extra + "}", "application/json");
    if (!res || res->status != 200) return int64_t{-1};
    return json::parse(res->body)["usage"]["prompt_tokens"].get<int64_t>();
  };
  const int64_t thinking = prompt_tokens(R"("reasoning_effort": "high")");
  ASSERT_GT(thinking, 0);
  EXPECT_EQ(prompt_tokens(R"("thinking_budget_tokens": 100)"), thinking);
  EXPECT_GT(prompt_tokens(R"("reasoning_effort": "none")"), thinking);
  EXPECT_EQ(prompt_tokens(R"("reasoning_effort": "minimal")"), prompt_tokens(R"("reasoning_effort": "none")"));
  EXPECT_EQ(prompt_tokens(R"("thinking_budget_tokens": 0, "reasoning_effort": "high")"),
            prompt_tokens(R"("reasoning_effort": "none")"));
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// A shutdown (SIGTERM, no drain time) during a long non-streamed request: HTTP 503 with an error
// naming the shutdown, never 200 with finish_reason "stop" (nothing is written before the result).
TEST(OpenAiSurface, ShutdownDuringANonStreamedAnswerIs503) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 2 --drain-seconds 0");
  ASSERT_TRUE(server.ok()) << server.log();
  int status = 0;
  std::string body;
  std::thread waiting([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(120);
    auto res = c.Post("/v1/chat/completions",
                      R"({"messages": [{"role": "user", "content": "go"}], "max_tokens": 15000, "n": 2,
                          "ignore_eos": true})",
                      "application/json");
    status = res ? res->status : -1;
    body = res ? res->body : "";
  });
  httplib::Client c("127.0.0.1", server.port());
  bool busy = false;
  for (int i = 0; i < 600 && !busy; ++i) {
    auto m = c.Get("/metrics");
    busy = m && m->body.find("\ntrit_slots_busy 2\n") != std::string::npos;
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(busy);
  server.signal(SIGTERM);
  waiting.join();
  EXPECT_EQ(status, 503) << body;
  const json error = json::parse(body.empty() ? "{}" : body).value("error", json(nullptr));
  ASSERT_TRUE(error.is_object()) << body;
  EXPECT_EQ(error["code"], "server_shutting_down");
  EXPECT_EQ(body.find("finish_reason"), std::string::npos);
  EXPECT_EQ(server.wait_exit(60), 0) << server.log();
}

}  // namespace
}  // namespace trit
