// trit behind nginx, configured by the shipped example deploy/nginx-trit.conf itself (its replica
// addresses and listen line replaced by loopback test ports): two `trit serve` replicas as the
// upstream, requests spread over both, a replica SIGKILLed mid-run is routed around with no
// failed request, and a replica SIGTERMed while it streams drains: its streams finish, new
// requests go to the other one, nothing fails. Skips when nginx is not installed (CI installs it
// through scripts/setup.sh).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/test_util.h"
#include "nginx_process.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Replaces the one occurrence of `from`; false when it is missing (the example changed shape).
bool replace_once(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) return false;
  text.replace(at, from.size(), to);
  return true;
}


// The shipped deploy/nginx-trit.conf with its two replica addresses and its listen line
// replaced by the test's loopback ports; an empty text (and a test failure) when the example no
// longer has the lines this replaces.
std::string shipped_site(const test::ServeProcess& a, const test::ServeProcess& b) {
  std::string site = test::read_file(test::source_dir() + "/deploy/nginx-trit.conf");
  const bool named = replace_once(site, "127.0.0.1:8081", "127.0.0.1:" + std::to_string(a.port())) &&
                     replace_once(site, "127.0.0.1:8082", "127.0.0.1:" + std::to_string(b.port())) &&
                     replace_once(site, "listen 80;", "listen @LISTEN@;");
  EXPECT_TRUE(named) << "deploy/nginx-trit.conf no longer names its replicas as 127.0.0.1:8081 and "
                        "127.0.0.1:8082 or no longer has the line 'listen 80;'";
  return named ? site : "";
}

test::NginxProcess proxy_for(const std::string& nginx, const test::ServeProcess& a, const test::ServeProcess& b) {
  const std::string site = shipped_site(a, b);
  return test::NginxProcess(nginx, test::scratch_dir(), [site](int port) {
    std::string config = site;
    replace_once(config, "@LISTEN@", "127.0.0.1:" + std::to_string(port));
    return config;
  });
}

// trit_requests_total (generation requests accepted) from a replica's own /metrics; -1 if none.
double requests_served(const test::ServeProcess& replica) { return replica.metric("trit_requests_total"); }

// One chat request through nginx for max_tokens tokens (EOS ignored, so each takes its full
// length); "" when it succeeded, else what went wrong.
std::string chat_through(int port, bool stream, int max_tokens = 8) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60);
  const json body = {{"messages", {{{"role", "user"}, {"content", "hello"}}}},
                     {"max_tokens", max_tokens},
                     {"ignore_eos", true},
                     {"stream", stream}};
  auto res = c.Post("/v1/chat/completions", body.dump(), "application/json");
  if (!res) return "no answer: " + httplib::to_string(res.error());
  if (res->status != 200) return "status " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
  if (stream) {
    if (res->body.find("data: [DONE]") == std::string::npos) return "stream without [DONE]: " + res->body.substr(0, 200);
    return "";
  }
  try {
    if (!json::parse(res->body)["choices"][0]["message"].is_object()) return "no message: " + res->body.substr(0, 200);
  } catch (const json::exception& e) {
    return std::string("bad JSON: ") + e.what();
  }
  return "";
}

// Waits until nothing listens on the port any more (the killed process is gone).
bool wait_until_refused(int port, int timeout_s) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1);
  while (Clock::now() < deadline) {
    if (!c.Get("/health")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(Nginx, SpreadsRequestsOverTwoReplicasAndRoutesAroundAKilledOne) {
  const std::string nginx = test::find_nginx();
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (Debian package nginx; scripts/setup.sh installs it)";

  const std::string args = "-m " + test::shell_quote(test::make_model("tiny", "q2_0", 3)) + " -t 1 -c 128 --parallel 2";
  test::ServeProcess a(args), b(args);
  ASSERT_TRUE(a.ok()) << a.log();
  ASSERT_TRUE(b.ok()) << b.log();

  test::NginxProcess proxy = proxy_for(nginx, a, b);
  ASSERT_TRUE(proxy.ok()) << proxy.log();

  // 40 requests, streamed and not, one after another; replica b is killed after the 20th, between
  // two requests, so every later request that nginx sends to b finds it gone and is retried on a.
  constexpr int total = 40, kill_after = 20;
  std::vector<std::string> failures;
  double served_by_a_before = -1, served_by_b = -1;
  for (int i = 0; i < total; ++i) {
    if (i == kill_after) {
      served_by_a_before = requests_served(a);
      served_by_b = requests_served(b);
      kill(b.pid(), SIGKILL);
      ASSERT_TRUE(wait_until_refused(b.port(), 10)) << "the killed replica still answers";
    }
    const std::string failure = chat_through(proxy.port(), i % 2 == 1);
    if (!failure.empty()) failures.push_back("request " + std::to_string(i) + ": " + failure);
  }
  const double served_by_a = requests_served(a);

  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front() << "\nnginx:\n"
                                << proxy.log();
  // Round robin over the first 20: both replicas took some.
  EXPECT_GT(served_by_a_before, 0);
  EXPECT_GT(served_by_b, 0);
  EXPECT_EQ(served_by_a_before + served_by_b, kill_after);
  // After the kill every request went to a, each exactly once.
  EXPECT_EQ(served_by_a + served_by_b, total) << "nginx access log:\n" << proxy.access_log();
}

TEST(Nginx, ASigtermedReplicaFinishesItsStreamsWhileNewRequestsGoToTheOther) {
  const std::string nginx = test::find_nginx();
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (Debian package nginx; scripts/setup.sh installs it)";

  const std::string args =
      "-m " + test::shell_quote(test::make_model("tiny", "q2_0", 3)) + " -t 1 -c 512 --parallel 2 --drain-seconds 60";
  test::ServeProcess a(args), b(args);
  ASSERT_TRUE(a.ok()) << a.log();
  ASSERT_TRUE(b.ok()) << b.log();
  test::NginxProcess proxy = proxy_for(nginx, a, b);
  ASSERT_TRUE(proxy.ok()) << proxy.log();

  // Four clients, each 12 requests of 96 tokens one after another, streamed and not in turn, so
  // both replicas always have generations running. b gets SIGTERM while it has some.
  constexpr int clients = 4, requests_each = 12, tokens = 96;
  std::mutex failures_lock;
  std::vector<std::string> failures;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < requests_each; ++i) {
        const std::string failure = chat_through(proxy.port(), (t + i) % 2 == 1, tokens);
        if (!failure.empty()) {
          const std::lock_guard<std::mutex> hold(failures_lock);
          failures.push_back("client " + std::to_string(t) + " request " + std::to_string(i) + ": " + failure);
        }
        done.fetch_add(1);
      }
    });

  // Wait until b is generating for a client (and a few requests have gone by), then drain it.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline && (done.load() < clients || b.metric("trit_slots_busy") < 1))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int done_at_signal = done.load();
  b.signal(SIGTERM);
  const int b_status = b.wait_exit(90);
  for (std::thread& thread : threads) thread.join();

  EXPECT_LT(done_at_signal, clients * requests_each) << "b was drained only after every request had finished";
  EXPECT_EQ(b_status, 0) << b.log();
  // b's own account of the drain: it waited for the generations it had, and they finished.
  const std::string log = b.log();
  const size_t waiting = log.find("s for ");
  ASSERT_NE(waiting, std::string::npos) << "b did not log its drain:\n" << log;
  EXPECT_GE(std::stoi(log.substr(waiting + 6)), 1) << "b had no generation in flight when it was signalled:\n" << log;
  EXPECT_NE(log.find("every generation in flight has finished"), std::string::npos) << log;
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front() << "\nnginx:\n"
                                << proxy.log();
  EXPECT_EQ(done.load(), clients * requests_each);
  // After the signal b took no new request: of those not yet finished, b finished at most its two
  // slots' worth and a served the rest.
  EXPECT_GE(requests_served(a), clients * requests_each - done_at_signal - 2) << proxy.access_log();
}

}  // namespace
}  // namespace trit
