// `trit serve` as a process: started on a free loopback port, probed over HTTP, stopped with
// SIGTERM. The OpenAI-client and browser suites (Node) are driven from here so ctest runs them.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "common/test_util.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// The synthetic tiny model with its small byte vocab: fast enough for many requests.
std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

json error_of(const httplib::Result& res) {
  if (!res) return nullptr;
  try {
    return json::parse(res->body).value("error", json(nullptr));
  } catch (const json::exception&) {
    return nullptr;
  }
}

TEST(Serve, HealthAuthCorsValidationAndCleanStop) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --parallel 2 --api-key sekret");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  httplib::Headers auth = {{"Authorization", "Bearer sekret"}};

  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);  // no key needed

  auto no_key = c.Get("/v1/models");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(error_of(no_key)["type"], "authentication_error");
  auto wrong_key = c.Get("/v1/models", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong_key->status, 401);
  auto models = c.Get("/v1/models", auth);
  ASSERT_EQ(models->status, 200);
  EXPECT_EQ(json::parse(models->body)["data"][0]["object"], "model");

  auto preflight = c.Options("/v1/chat/completions");
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);

  struct Bad {
    std::string body, expect;  // expect: a word the error message must contain
  };
  const std::vector<Bad> bad = {
      {"{not json", "JSON"},
      {"[1,2]", "object"},
      {R"({"messages": "hi"})", "messages"},
      {R"({"messages": [{"role": "wizard", "content": "hi"}]})", "wizard"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "content"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0})", "max_tokens"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": -3})", "max_tokens"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"})", "temperature"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "temperature": 9})", "temperature"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "stream": "yes"})", "stream"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "stop": [1]})", "stop"},
      {R"({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]})", "tools"},
      {R"({"messages": [{"role": "user", "content": ")" + std::string(600, 'x') + R"("}]})", "context"},
      {R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
          {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]})", "text only"},
      {R"({"messages": [{"role": "user", "content": [{"type": "input_image", "image_url": "x.png"}]}]})",
       "text only"},
  };
  for (const Bad& b : bad) {
    auto res = c.Post("/v1/chat/completions", auth, b.body, "application/json");
    ASSERT_TRUE(res) << b.body;
    EXPECT_EQ(res->status, 400) << b.body;
    json err = error_of(res);
    ASSERT_TRUE(err.is_object()) << res->body;
    EXPECT_EQ(err["type"], "invalid_request_error");
    EXPECT_NE(err["message"].get<std::string>().find(b.expect), std::string::npos)
        << "message for " << b.body.substr(0, 80) << ": " << err["message"];
  }
  auto no_prompt = c.Post("/v1/completions", auth, R"({"prompt": 12})", "application/json");
  EXPECT_EQ(no_prompt->status, 400);
  auto missing = c.Get("/v1/nothing", auth);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(error_of(missing).is_object());

  // The server still works after all that.
  auto ok = c.Post("/v1/completions", auth, R"({"prompt": "abc", "max_tokens": 3, "temperature": 0})",
                   "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["usage"]["completion_tokens"].get<int>() <= 3, true);

  auto metrics = c.Get("/metrics", auth);
  ASSERT_EQ(metrics->status, 200);
  for (const char* name : {"trit_requests_total", "trit_prompt_tokens_total", "trit_generated_tokens_total",
                           "trit_decode_tokens_per_second", "trit_queue_length", "trit_kv_cache_usage_ratio"})
    EXPECT_NE(metrics->body.find(std::string("\n") + name + " "), std::string::npos) << name;
  // One KV pool of -c 128 for both slots: two pages of 64, one held by the idle slot that answered.
  EXPECT_NE(metrics->body.find("\ntrit_kv_cache_pages_total 2\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("\ntrit_kv_cache_pages_used 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("\ntrit_kv_cache_pages_free 1\n"), std::string::npos) << metrics->body;

  EXPECT_EQ(server.stop(), 0) << server.log();
}

// The chat page is served byte for byte from the files of src/server/chat_page/, embedded at
// build time (cmake/EmbedFile.cmake), with its content types.
TEST(Serve, ChatPageFilesAreServedAsWritten) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 64");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  const std::string dir = test::source_dir() + "/src/server/chat_page/";
  for (const auto& [path, file, type] : {std::tuple{"/", "index.html", "text/html"},
                                         std::tuple{"/app.js", "app.js", "text/javascript"},
                                         std::tuple{"/style.css", "style.css", "text/css"}}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body, test::read_file(dir + file)) << path;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind(type, 0), 0u) << path;
  }
}

TEST(Serve, ToolChoiceForcesACall) {
  // A random-weight model still answers with a parsed call: a grammar lets it write nothing else
  // (the arguments bounded here, so that it also finishes).
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 4096 --parallel 1");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120);
  const json tools = json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"unit": {"enum": ["c", "f"]}}, "required": ["unit"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "send_mail", "parameters": {"type": "object",
      "properties": {"urgent": {"type": "boolean"}}, "required": ["urgent"], "additionalProperties": false}}}])");
  auto request = [&](const json& tool_choice, bool stream) {
    json body = {{"messages", {{{"role", "user"}, {"content", "Weather in Oslo?"}}}},
                 {"tools", tools}, {"tool_choice", tool_choice}, {"max_tokens", 400}, {"temperature", 1},
                 {"seed", 5}, {"stream", stream}, {"chat_template_kwargs", {{"enable_thinking", false}}}};
    return c.Post("/v1/chat/completions", body.dump(), "application/json");
  };
  // From a response (streamed or not): the parsed calls, the content and the finish reason.
  struct Answer {
    json calls = json::array();
    std::string content, finish;
  };
  auto answer_of = [](const std::string& text, bool stream) {
    Answer a;
    if (!stream) {
      const json o = json::parse(text)["choices"][0];
      if (o["message"].contains("tool_calls")) a.calls = o["message"]["tool_calls"];
      if (o["message"]["content"].is_string()) a.content = o["message"]["content"];
      a.finish = o["finish_reason"];
      return a;
    }
    for (size_t pos = 0; (pos = text.find("data: {", pos)) != std::string::npos;) {
      const size_t end = text.find("\n\n", pos);
      const json chunk = json::parse(text.substr(pos + 6, end - pos - 6));
      pos = end;
      if (chunk["choices"].empty()) continue;
      const json& d = chunk["choices"][0]["delta"];
      if (d.contains("content")) a.content += d["content"].get<std::string>();
      if (d.contains("tool_calls"))
        for (const json& tc : d["tool_calls"]) a.calls.push_back(tc);
      if (!chunk["choices"][0]["finish_reason"].is_null()) a.finish = chunk["choices"][0]["finish_reason"];
    }
    return a;
  };
  const json named = {{"type", "function"}, {"function", {{"name", "send_mail"}}}};
  for (bool stream : {false, true}) {
    auto res = request(named, stream);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    Answer a = answer_of(res->body, stream);
    ASSERT_EQ(a.calls.size(), 1u) << "stream " << stream << ": " << res->body;
    EXPECT_EQ(a.calls[0]["function"]["name"], "send_mail");
    EXPECT_TRUE(json::parse(a.calls[0]["function"]["arguments"].get<std::string>())["urgent"].is_boolean());
    EXPECT_EQ(a.finish, "tool_calls");
    EXPECT_EQ(a.content, "");

    res = request("required", stream);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    a = answer_of(res->body, stream);
    ASSERT_EQ(a.calls.size(), 1u) << "stream " << stream << ": " << res->body;
    EXPECT_EQ(a.finish, "tool_calls");
    EXPECT_EQ(a.content, "");
  }

  // Nothing is forced into the prompt: the grammar does the forcing.
  auto prompt_tokens = [&](const json& tool_choice) {
    auto res = request(tool_choice, false);
    return res && res->status == 200 ? json::parse(res->body)["usage"]["prompt_tokens"].get<int>() : -1;
  };
  EXPECT_EQ(prompt_tokens(named), prompt_tokens("auto"));

  // Rejected: 400 in OpenAI's shape, param "tool_choice".
  const json bad[] = {
      json::parse(R"({"tool_choice": {"type": "function", "function": {"name": "get_time"}}})"),
      json::parse(R"({"tool_choice": {"type": "function", "function": {}}})"),
      json::parse(R"({"tool_choice": {"type": "function", "function": {"name": "send_mail"}}, "tools": null})"),
      json::parse(R"({"tool_choice": "required", "tools": []})"),
  };
  for (json body : bad) {
    body["messages"] = {{{"role", "user"}, {"content", "hi"}}};
    if (!body.contains("tools")) body["tools"] = tools;
    if (body["tools"].is_null()) body.erase("tools");
    auto res = c.Post("/v1/chat/completions", body.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body.dump();
    json err = error_of(res);
    ASSERT_TRUE(err.is_object()) << res->body;
    EXPECT_EQ(err["type"], "invalid_request_error");
    EXPECT_EQ(err["param"], "tool_choice") << res->body;
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(Serve, FullQueueAnswers503WithRetryAfter) {
  // One slot, no queue: while one long generation runs, the next request is refused.
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 1 --queue 0");
  ASSERT_TRUE(server.ok()) << server.log();
  std::thread long_one([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(120);
    c.Post("/v1/completions", R"({"prompt": "go", "max_tokens": 15000, "temperature": 0, "ignore_eos": true})", "application/json");
  });
  httplib::Client c("127.0.0.1", server.port());
  // Wait until the long request holds the slot.
  bool busy = false;
  for (int i = 0; i < 200 && !busy; ++i) {
    auto m = c.Get("/metrics");
    busy = m && m->body.find("\ntrit_slots_busy 1") != std::string::npos;
    if (!busy) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(busy);
  auto refused = c.Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  EXPECT_TRUE(error_of(refused).is_object());
  // SIGTERM while a generation runs: the server ends it and exits cleanly.
  EXPECT_EQ(server.stop(), 0) << server.log();
  long_one.join();
}

TEST(Serve, ClientThatLeavesANonStreamedRequestCancelsIt) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 1");
  ASSERT_TRUE(server.ok()) << server.log();
  {
    httplib::Client impatient("127.0.0.1", server.port());
    // Gives up after 0.3 s of silence and closes the connection; the server, which writes nothing
    // before the answer, notices by polling the socket.
    impatient.set_read_timeout(0, 300'000);
    auto res = impatient.Post("/v1/completions",
                              R"({"prompt": "go", "max_tokens": 15000, "temperature": 0, "ignore_eos": true})",
                              "application/json");
    EXPECT_FALSE(res && res->status == 200 && res->body.find("choices") != std::string::npos);
  }
  httplib::Client c("127.0.0.1", server.port());
  bool cancelled = false;
  for (int i = 0; i < 100 && !cancelled; ++i) {
    auto m = c.Get("/metrics");
    cancelled = m && m->body.find("\ntrit_requests_cancelled_total 1\n") != std::string::npos &&
                m->body.find("\ntrit_slots_busy 0\n") != std::string::npos;
    if (!cancelled) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(cancelled) << "the server kept generating for a client that left";
}

TEST(Serve, BodyOverTheLimitIs413) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --max-body 4096");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  const std::string body = R"({"prompt": ")" + std::string(10000, 'a') + R"("})";
  auto res = c.Post("/v1/completions", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(error_of(res)["message"].get<std::string>().find("4096"), std::string::npos);
}

// JSON nested 200,000 levels deep (about 400 KB) inside tools[].function.parameters, in a tool
// call's arguments object, and in its arguments string: each must be refused as a 400 that says
// why, before any recursive walk of the value (which overflowed the stack and killed the server),
// with any content type; the server then still answers.
TEST(Serve, DeeplyNestedJsonIs400AndTheServerSurvives) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  const size_t depth = 200000;
  const std::string deep = std::string(depth, '[') + std::string(depth, ']');
  const std::string deep_string = json(deep).dump();
  const std::string bodies[] = {
      R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"tools":[{"type":"function","function":{"name":"f","parameters":{"a":)" +
          deep + "}}}]}",
      R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"f","arguments":{"a":)" +
          deep + "}}}]}],\"max_tokens\":2}",
      R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"f","arguments":)" +
          deep_string + "}}]}],\"max_tokens\":2}",
  };
  for (const std::string& body : bodies)
    for (const char* type : {"application/json", "text/plain"}) {
      auto res = c.Post("/v1/chat/completions", body, type);
      ASSERT_TRUE(res) << "no answer: the server died? " << server.log();
      EXPECT_EQ(res->status, 400) << res->body.substr(0, 300);
      EXPECT_NE(res->body.find("nested deeper than"), std::string::npos) << res->body.substr(0, 300);
    }
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ok = c.Post("/v1/completions", R"({"prompt": "abc", "max_tokens": 2, "temperature": 0})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// ---- Node suites ----

std::string js_dir() { return test::source_dir() + "/tests/server/js"; }

void require_node_modules() {
  ASSERT_EQ(test::run_command("node --version").exit_code, 0) << "node is missing: run scripts/setup.sh";
  ASSERT_EQ(test::run_command("test -d " + test::shell_quote(js_dir() + "/node_modules/openai")).exit_code, 0)
      << "tests/server/js/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/server/js)";
}

TEST(ServeClients, OfficialOpenAiClient) {
  require_node_modules();
  // A context long enough that the abandoned 100000-token stream is still generating when the
  // client leaves, however fast the engine is (at -c 2048 it could finish first).
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) +
                            " -t 1 -c 16384 --parallel 4 --api-key test-key --max-body 65536");
  ASSERT_TRUE(server.ok()) << server.log();
  auto r = test::run_command("cd " + test::shell_quote(js_dir()) + " && TRIT_BASE_URL=" + server.base_url() +
                             " TRIT_API_KEY=test-key timeout 300 node client.test.mjs");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\nserver log:\n" << server.log();
  EXPECT_NE(r.out.find("all client checks passed"), std::string::npos) << r.out;
}

TEST(ServeClients, ChatPageInHeadlessChromium) {
  require_node_modules();
  ASSERT_EQ(test::run_command("test -x /usr/bin/chromium").exit_code, 0) << "Debian chromium is missing: run scripts/setup.sh";
  // The trained moby-tiny writes English-like text; without ../shared a synthetic model still
  // exercises every step (its text is not words).
  const bool moby = test::have_shared();
  const std::string model = moby ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf" : tiny_model();
  // The Stop test needs an answer that is still streaming when the click lands, on a loaded
  // machine too: room for 16000 tokens (moby-tiny writes 2000 in under 2 s).
  test::ServeProcess server("-m " + test::shell_quote(model) + " -t 1 -c 16384 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();
  const std::string shots = std::string(TRIT_TEST_WORK_DIR) + "/screenshots";
  test::run_command("mkdir -p " + test::shell_quote(shots));
  auto r = test::run_command("cd " + test::shell_quote(js_dir()) + " && TRIT_BASE_URL=" + server.base_url() +
                             " TRIT_SCREENSHOT_DIR=" + test::shell_quote(shots) + " timeout 300 node browser.mjs");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\nserver log:\n" << server.log();
  EXPECT_NE(r.out.find("browser checks passed"), std::string::npos) << r.out;
  EXPECT_EQ(test::run_command("test -s " + test::shell_quote(shots + "/chat.png")).exit_code, 0);
}

}  // namespace
}  // namespace trit
