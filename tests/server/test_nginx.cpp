// trit behind nginx, configured by the shipped example deploy/nginx-trit.conf itself (its replica
// addresses and listen line replaced by loopback test ports): two `trit serve` replicas as the
// upstream, requests spread over both, and a replica SIGKILLed mid-run is routed around with no
// failed request. Skips when nginx is not installed (CI installs it through scripts/setup.sh).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
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

// trit_requests_total (generation requests accepted) from a replica's own /metrics; -1 if none.
double requests_served(const test::ServeProcess& replica) {
  httplib::Client c("127.0.0.1", replica.port());
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string name = "\ntrit_requests_total ";
  const size_t at = res->body.find(name);
  return at == std::string::npos ? -1 : std::stod(res->body.substr(at + name.size()));
}

// One chat request through nginx; "" when it succeeded, else what went wrong.
std::string chat_through(int port, bool stream) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60);
  const json body = {{"messages", {{{"role", "user"}, {"content", "hello"}}}}, {"max_tokens", 8}, {"stream", stream}};
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

  std::string site = test::read_file(test::source_dir() + "/deploy/nginx-trit.conf");
  ASSERT_TRUE(replace_once(site, "127.0.0.1:8081", "127.0.0.1:" + std::to_string(a.port())))
      << "deploy/nginx-trit.conf no longer names the first replica as 127.0.0.1:8081";
  ASSERT_TRUE(replace_once(site, "127.0.0.1:8082", "127.0.0.1:" + std::to_string(b.port())))
      << "deploy/nginx-trit.conf no longer names the second replica as 127.0.0.1:8082";
  ASSERT_TRUE(replace_once(site, "listen 80;", "listen @LISTEN@;"))
      << "deploy/nginx-trit.conf no longer has the line 'listen 80;'";
  test::NginxProcess proxy(nginx, test::scratch_dir(), [&](int port) {
    std::string config = site;
    replace_once(config, "@LISTEN@", "127.0.0.1:" + std::to_string(port));
    return config;
  });
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

}  // namespace
}  // namespace trit
