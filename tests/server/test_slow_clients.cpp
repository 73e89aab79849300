// Slow clients must not deny service (issue 15, item 3): connections that send their request
// head a byte per second, or a head and never the body, are dropped at their deadline, and while
// they hang every worker stays free for real requests.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/test_util.h"
#include "raw_http.h"
#include "serve_process.h"

namespace trit {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

// 500 connections each send "GET /health HTTP/1.1\r\n..." one byte per second and never finish
// the head. With 16 HTTP workers (1 slot, queue 2) they used to hold every worker; now /health
// must be answered within 1 s while they hang, and each of them is closed once the 4 s head
// deadline has passed (with a 408 when the client is still there to read it).
TEST(ServeSlowClients, FiveHundredSlowHeadsLeaveHealthAnsweredAndAreDropped) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --parallel 1 --queue 2 --head-timeout 4");
  ASSERT_TRUE(server.ok()) << server.log();
  constexpr int kSlow = 500;
  const std::string slow_head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(100, 'p');
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = test::connect_loopback(server.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  const auto started = Clock::now();
  std::atomic<bool> stop_sending{false};
  std::thread trickle([&] {
    // The attacker's pace (not synchronisation): one more byte on every connection each second.
    for (size_t pos = 0; pos < slow_head.size() && !stop_sending.load(); ++pos) {
      for (int fd : fds) (void)send(fd, &slow_head[pos], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int i = 0; i < 10 && !stop_sending.load(); ++i) std::this_thread::sleep_for(100ms);
    }
  });

  // While they hang (each has sent a byte or two), a normal client is served at once.
  std::this_thread::sleep_for(1500ms);
  for (int i = 0; i < 3; ++i) {
    httplib::Client c("127.0.0.1", server.port());
    c.set_connection_timeout(1);
    c.set_read_timeout(1);
    const auto t0 = Clock::now();
    auto res = c.Get("/health");
    const auto took = Clock::now() - t0;
    ASSERT_TRUE(res) << "/health was not answered while " << kSlow << " slow connections hang";
    EXPECT_EQ(res->status, 200);
    EXPECT_LT(took, 1s);
  }

  // Every slow connection is closed by the server after the head deadline, with a 408.
  std::vector<std::string> answers(fds.size());
  std::vector<bool> closed(fds.size(), false);
  size_t open = fds.size();
  while (open > 0 && Clock::now() - started < 15s) {
    std::vector<pollfd> polls;
    for (size_t i = 0; i < fds.size(); ++i)
      if (!closed[i]) polls.push_back({fds[i], POLLIN, 0});
    if (poll(polls.data(), polls.size(), 200) <= 0) continue;
    for (const pollfd& p : polls) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const size_t i = static_cast<size_t>(std::find(fds.begin(), fds.end(), p.fd) - fds.begin());
      char buf[4096];
      const ssize_t n = recv(p.fd, buf, sizeof buf, 0);
      if (n > 0) {
        answers[i].append(buf, static_cast<size_t>(n));
      } else {
        closed[i] = true;
        --open;
      }
    }
  }
  const auto all_closed = Clock::now() - started;
  stop_sending.store(true);
  trickle.join();
  EXPECT_EQ(open, 0u) << "slow connections still open after 15 s";
  EXPECT_GE(all_closed, 3500ms) << "dropped before the 4 s deadline";
  // The 408 is best effort (the client's own late bytes can reset the connection before it
  // reads it), but nothing else may come back.
  size_t timed_out = 0;
  for (const std::string& a : answers) {
    timed_out += a.rfind("HTTP/1.1 408", 0) == 0;
    EXPECT_TRUE(a.empty() || a.rfind("HTTP/1.1 408", 0) == 0) << a;
  }
  EXPECT_GT(timed_out, 0u);
  for (int fd : fds) close(fd);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// A POST whose head announces a body that never comes frees its worker after the body deadline
// (the head timeout for a small body) with a 400, instead of the 30 s read timeout.
TEST(ServeSlowClients, BodyThatNeverComesIsDroppedAtItsDeadline) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128 --head-timeout 2");
  ASSERT_TRUE(server.ok()) << server.log();
  const auto t0 = Clock::now();
  test::RawAnswer a = test::raw_request(
      server.port(),
      "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
      nullptr, 10000);
  EXPECT_TRUE(a.closed) << a.response;
  EXPECT_LT(Clock::now() - t0, 8s);
  EXPECT_EQ(a.status(), 400) << a.response;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// Pipelining through the gate: two requests written at once on one connection are both answered
// (the bytes read past the first request's head are kept for the second).
TEST(ServeSlowClients, PipelinedAndKeepAliveRequestsAreAllAnswered) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128");
  ASSERT_TRUE(server.ok()) << server.log();
  const std::string get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  test::RawAnswer a = test::raw_request(server.port(), get + get, nullptr, 1500);
  size_t answered = 0;
  for (size_t pos = 0; (pos = a.response.find("HTTP/1.1 200", pos)) != std::string::npos; ++pos) ++answered;
  EXPECT_EQ(answered, 2u) << a.response;
}

}  // namespace
}  // namespace trit
