// Running `trit serve` behind a load balancer: the readiness check while the model loads, and
// the drain on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>

#include <signal.h>

#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/test_util.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

std::string error_message(const httplib::Result& res) {
  if (!res) return "";
  try {
    return json::parse(res->body)["error"]["message"].get<std::string>();
  } catch (const json::exception&) {
    return "";
  }
}

// A request on its own thread whose answer is collected as it arrives; `started` is ready once
// the first bytes are in.
struct Collected {
  std::thread thread;
  std::promise<void> first_bytes;
  std::future<void> started = first_bytes.get_future();
  std::mutex mutex;
  std::string body;
  int status = 0;

  void post(int port, const std::string& path, const std::string& request_body) {
    thread = std::thread([this, port, path, request_body] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(120);
      httplib::Request req;
      req.method = "POST";
      req.path = path;
      req.body = request_body;
      req.set_header("Content-Type", "application/json");
      bool first = true;
      req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        std::lock_guard<std::mutex> lock(mutex);
        body.append(data, n);
        if (first) first_bytes.set_value();
        first = false;
        return true;
      };
      auto res = c.send(req);
      std::lock_guard<std::mutex> lock(mutex);
      status = res ? res->status : -1;
      if (first) first_bytes.set_value();  // never started: let the waiter see the failure
    });
  }
  void join() {
    if (thread.joinable()) thread.join();
  }
  ~Collected() { join(); }
};

const std::string kLongStream =
    R"({"messages": [{"role": "user", "content": "go"}], "stream": true, "max_tokens": 15000, "temperature": 0,
        "ignore_eos": true})";
const std::string kLongAnswer =
    R"({"messages": [{"role": "user", "content": "go"}], "max_tokens": 15000, "temperature": 0, "ignore_eos": true})";

// Waits (bounded) until /metrics shows `busy` slots generating.
bool slots_busy(int port, int busy) {
  httplib::Client c("127.0.0.1", port);
  const std::string line = "\ntrit_slots_busy " + std::to_string(busy) + "\n";
  for (int i = 0; i < 600; ++i) {
    auto m = c.Get("/metrics");
    if (m && m->body.find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// Waits (bounded) until the server's log says `text`: the signal is handled on the server's own
// thread, some time after kill() returns.
bool log_says(const test::ServeProcess& server, const std::string& text) {
  for (int i = 0; i < 600; ++i) {
    if (server.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// /health is 503 {"status": "loading"} from the moment the port is bound until the model is
// ready, and the API says why it cannot answer yet; then /health is 200 and the API works. The
// end of loading is held by TRIT_SERVE_HOLD_LOADING until the test creates the file.
TEST(ServeOperations, HealthIs503WhileLoadingThen200) {
  const std::string release = test::scratch_dir() + "/loaded";
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128", 120,
                            test::ServeProcess::Wait::listening, "TRIT_SERVE_HOLD_LOADING=" + test::shell_quote(release));
  ASSERT_TRUE(server.listening()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(30);

  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body)["status"], "loading") << health->body;
  EXPECT_FALSE(health->get_header_value("Retry-After").empty());
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 503);
  EXPECT_NE(error_message(models).find("still loading"), std::string::npos) << models->body;
  auto chat = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})",
                     "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 503);
  EXPECT_NE(error_message(chat).find("still loading"), std::string::npos) << chat->body;
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 503);

  test::write_file(release, "");
  int status = 0;
  for (int i = 0; i < 600 && status != 200; ++i) {  // the load balancer's poll, at most 60 s
    auto h = c.Get("/health");
    status = h ? h->status : 0;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, 200) << server.log();
  EXPECT_EQ(json::parse(c.Get("/health")->body)["status"], "ok");
  auto ready = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})",
                      "application/json");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// SIGTERM with a stream in flight: the stream runs to its normal end (finish_reason "length",
// [DONE]) and then the process exits 0 by itself, without a second signal.
TEST(ServeOperations, SigtermDrainsAStreamInFlightThenExits) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --drain-seconds 300");
  ASSERT_TRUE(server.ok()) << server.log();
  Collected stream;
  stream.post(server.port(), "/v1/chat/completions", kLongStream);
  ASSERT_EQ(stream.started.wait_for(60s), std::future_status::ready);
  server.signal(SIGTERM);
  stream.join();
  EXPECT_EQ(stream.status, 200);
  EXPECT_NE(stream.body.find("\"finish_reason\":\"length\""), std::string::npos) << stream.body.substr(0, 2000);
  EXPECT_EQ(stream.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(stream.body.rfind("data: [DONE]\n\n"), stream.body.size() - 14);
  EXPECT_EQ(server.wait_exit(60), 0) << server.log();
  // The drain saw the stream in flight (it did not end before the signal) and waited for it.
  EXPECT_NE(server.log().find("for 1 generation(s) in flight"), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("every generation in flight has finished"), std::string::npos) << server.log();
}

// A drain deadline shorter than the generations: while draining, /health and new requests are
// 503 "shutting down"; at the deadline the stream and the non-streamed request still running are
// cut with an error naming the shutdown (never a normal finish_reason; HTTP 503 for the
// non-streamed one), and the process exits 0.
TEST(ServeOperations, DrainDeadlineCutsWhatIsLeft) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 2 --drain-seconds 2");
  ASSERT_TRUE(server.ok()) << server.log();
  Collected stream, answer;
  stream.post(server.port(), "/v1/chat/completions", kLongStream);
  answer.post(server.port(), "/v1/chat/completions", kLongAnswer);
  ASSERT_EQ(stream.started.wait_for(60s), std::future_status::ready);
  ASSERT_TRUE(slots_busy(server.port(), 2));
  server.signal(SIGTERM);
  ASSERT_TRUE(log_says(server, "shutting down: waiting up to 2 s for 2 generation(s)")) << server.log();

  httplib::Client c("127.0.0.1", server.port());
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body)["status"], "shutting down");
  auto refused = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})",
                        "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(error_message(refused).find("shutting down"), std::string::npos) << refused->body;

  stream.join();
  answer.join();
  EXPECT_EQ(stream.body.find("\"finish_reason\":\""), std::string::npos) << stream.body.substr(stream.body.size() - 500);
  EXPECT_NE(stream.body.find("shutting down"), std::string::npos) << stream.body.substr(stream.body.size() - 500);
  EXPECT_EQ(stream.body.rfind("data: [DONE]\n\n"), stream.body.size() - 14);
  // The non-streamed answer's status is the cut's (nothing was written before the result existed).
  EXPECT_EQ(answer.status, 503) << answer.body;
  json cut = json::parse(answer.body);
  EXPECT_FALSE(cut.contains("choices")) << answer.body;
  EXPECT_EQ(cut["error"]["code"], "server_shutting_down") << answer.body;
  EXPECT_NE(cut["error"]["message"].get<std::string>().find("shutting down"), std::string::npos) << answer.body;
  EXPECT_EQ(server.wait_exit(60), 0) << server.log();
  EXPECT_NE(server.log().find("drain deadline passed: cancelling 2"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace trit
