// Request bodies as an attacker sends them: chunked past --max-body, without any length, with a
// huge Content-Length, malformed with a huge token, with numbers out of range, under the form
// content type curl -d uses. Each gets a prompt, short, precise answer; none is buffered whole.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "raw_http.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

// Peak resident memory of a process in bytes (VmHWM).
size_t peak_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

json error_of(const std::string& body) {
  try {
    return json::parse(body).value("error", json(nullptr));
  } catch (const json::exception&) {
    return nullptr;
  }
}

std::string head(const std::string& path, const std::string& framing) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

// 200 MiB in 1 MiB chunks, sent only while the server has not answered.
std::function<std::string()> chunks_of_200_mib() {
  auto left = std::make_shared<int>(200);
  return [left]() -> std::string {
    if (*left == 0) return "";
    --*left;
    return "100000\r\n" + std::string(1 << 20, 'a') + "\r\n";
  };
}

TEST(RequestBody, ChunkedBodyOverTheLimitIsRefusedWithoutBeingBuffered) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --max-body 1048576");
  ASSERT_TRUE(server.ok()) << server.log();
  const size_t idle_peak = peak_rss(server.pid());
  ASSERT_GT(idle_peak, 0u);
  for (const char* path : {"/v1/completions", "/v1/chat/completions", "/tokenize", "/no/such/route"}) {
    test::RawAnswer a = test::raw_request(server.port(), head(path, "Transfer-Encoding: chunked\r\n"),
                                          chunks_of_200_mib());
    const int expected = std::string(path) == "/no/such/route" ? 404 : 413;
    EXPECT_EQ(a.status(), expected) << path << ": " << a.response.substr(0, 300);
    EXPECT_LT(a.bytes_sent, size_t(64) << 20) << path << ": the server read on past the limit";
    if (expected == 413) {
      EXPECT_NE(error_of(a.body())["message"].get<std::string>().find("1048576"), std::string::npos) << a.body();
    }
  }
  EXPECT_LT(peak_rss(server.pid()), idle_peak + (100u << 20)) << "the server buffered a refused body";
  httplib::Client c("127.0.0.1", server.port());
  auto ok = c.Post("/v1/completions", R"({"prompt": "abc", "max_tokens": 2, "temperature": 0})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// Without Content-Length and without chunked framing a request has no body that can be read
// (it would be read until the client closes): 411 at once. A Content-Length over the limit is 413
// at once, without waiting for (or reading) the bytes it announces.
TEST(RequestBody, MissingOrHugeLengthIsAnsweredAtOnce) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --max-body 4096");
  ASSERT_TRUE(server.ok()) << server.log();
  struct Case {
    std::string framing;
    int status;
  };
  for (const Case& k : {Case{"", 411}, Case{"Content-Length: 1099511627776\r\n", 413}}) {
    const auto start = Clock::now();
    test::RawAnswer a = test::raw_request(
        server.port(), head("/v1/completions", k.framing), [sent = false]() mutable -> std::string {
          if (sent) return "";
          sent = true;
          return R"({"prompt": "abc", "max_tokens": 2})";
        },
        3000);
    EXPECT_EQ(a.status(), k.status) << k.framing << a.response.substr(0, 300);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << k.framing;
    EXPECT_TRUE(error_of(a.body()).is_object()) << a.body();
  }
}

TEST(RequestBody, ErrorsQuoteAShortExcerptAndNameTheField) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());

  // An unterminated 1 MB string, and a 1 MB run of digits: the lexer's token is the whole run.
  for (const std::string& body : {R"({"prompt": ")" + std::string(1 << 20, 'x'),
                                  R"({"prompt": "a", "max_tokens": )" + std::string(1 << 20, '9')}) {
    auto res = c.Post("/v1/completions", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_LT(res->body.size(), 600u) << res->body.substr(0, 600);
    EXPECT_TRUE(error_of(res->body).is_object()) << res->body.substr(0, 300);
  }

  struct Case {
    std::string path, body, param;
  };
  const Case cases[] = {
      {"/v1/completions", R"({"prompt": "a", "max_tokens": 1e400})", "max_tokens"},
      {"/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "temperature": -1e999})",
       "temperature"},
      {"/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "stop": ["a", 2e308]})",
       "stop[1]"},
  };
  for (const Case& k : cases) {
    auto res = c.Post(k.path, k.body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << k.body << ": " << res->body;
    json err = error_of(res->body);
    ASSERT_TRUE(err.is_object()) << res->body;
    EXPECT_EQ(err["param"], k.param) << res->body;
    EXPECT_NE(err["message"].get<std::string>().find(k.param), std::string::npos) << res->body;
    EXPECT_EQ(err["message"].get<std::string>().find("json.exception"), std::string::npos) << res->body;
  }
}

// curl -d sends application/x-www-form-urlencoded; the body is still the JSON request.
TEST(RequestBody, FormContentTypeBodyIsReadAsJson) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  const std::string body = R"({"prompt": "abc", "max_tokens": 2, "temperature": 0})" + std::string(9000, ' ');
  auto res = c.Post("/v1/completions", body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(json::parse(res->body).contains("choices")) << res->body;
}

}  // namespace
}  // namespace trit
