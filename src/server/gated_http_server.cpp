#include "server/gated_http_server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "server/api_error.h"
#include "server/connection_stream.h"
#include "util/error.h"

namespace trit::server {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// httplib's listener queues one hand-over per accepted socket. The hand-over never blocks, so it
// runs at once on the listener thread: no pool thread is held by a connection that sent nothing.
class InlineTaskQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// A complete answer for a connection the gate drops (it never reached httplib).
std::string answer(int status, const char* reason, const std::string& message) {
  const std::string body = error_body(status, message).dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

constexpr auto kSweepInterval = 100ms;  // how often deadlines are checked (their resolution)

thread_local const ConnectionStream* serving = nullptr;  // the worker's connection, for client_connected()

}  // namespace

struct GatedHttpServer::Waiting {
  std::shared_ptr<ConnectionStream> conn;
  Clock::time_point deadline;
  bool keep_alive_wait;  // between two requests of a keep-alive connection, no byte of the next yet
};

GatedHttpServer::GatedHttpServer() {
  new_task_queue = [] { return new InlineTaskQueue; };
}

GatedHttpServer::~GatedHttpServer() { close_gate(); }

void GatedHttpServer::set_request_deadlines(std::chrono::seconds head_timeout, size_t body_min_bytes_per_second) {
  head_timeout_ = head_timeout;
  body_rate_ = body_min_bytes_per_second;
}

void GatedHttpServer::open_gate(size_t workers) {
  if (open_.load()) return;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) fail("cannot create the HTTP connection gate (epoll/eventfd): ", std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  workers_ = std::make_unique<httplib::ThreadPool>(workers);
  open_.store(true);
  gate_ = std::thread([this] { gate_loop(); });
}

void GatedHttpServer::close_gate() {
  if (!open_.exchange(false)) return;
  closing_.store(true);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  gate_.join();
  workers_->shutdown();  // the requests being served run to their end; none goes back to the gate
  {
    std::lock_guard<std::mutex> lock(arrivals_mutex_);
    arrivals_.clear();
  }
  close(epoll_fd_);
  close(wake_fd_);
}

bool GatedHttpServer::process_and_close_socket(socket_t sock) {
  auto conn = std::make_shared<ConnectionStream>(sock, std::chrono::seconds(read_timeout_sec_),
                                                 std::chrono::seconds(write_timeout_sec_));
  if (!open_.load() || closing_.load()) return false;  // closed with `conn`
  admit(std::move(conn), false);
  return true;
}

void GatedHttpServer::admit(std::shared_ptr<ConnectionStream> conn, bool keep_alive_wait) {
  if (closing_.load()) return;
  {
    std::lock_guard<std::mutex> lock(arrivals_mutex_);
    arrivals_.emplace_back(std::move(conn), keep_alive_wait);
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void GatedHttpServer::serve_one(std::shared_ptr<ConnectionStream> conn) {
  if (closing_.load() || svr_sock_ == INVALID_SOCKET) return;
  conn->begin_request(head_timeout_, body_rate_);
  const bool last = conn->requests_served + 1 >= static_cast<int>(keep_alive_max_count_);
  bool client_closes = false;
  serving = conn.get();
  const bool ok = process_request(*conn, last, client_closes, nullptr);
  serving = nullptr;
  ++conn->requests_served;
  if (!ok || client_closes || last || closing_.load() || svr_sock_ == INVALID_SOCKET) return;
  admit(std::move(conn), true);
}

bool GatedHttpServer::client_connected() { return !serving || serving->peer_alive(); }

void GatedHttpServer::gate_loop() {
  std::unordered_map<int, Waiting> waiting;  // by socket
  auto forget = [&](std::unordered_map<int, Waiting>::iterator it) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
    return waiting.erase(it);  // the last reference: the socket closes
  };
  auto dispatch = [&](std::shared_ptr<ConnectionStream> conn) {
    workers_->enqueue([this, conn] { serve_one(conn); });
  };
  epoll_event events[128];
  auto next_sweep = Clock::now() + kSweepInterval;
  while (!closing_.load()) {
    const int n = epoll_wait(epoll_fd_, events, 128, static_cast<int>(kSweepInterval.count()));
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        continue;
      }
      auto it = waiting.find(fd);
      if (it == waiting.end()) continue;
      Waiting& w = it->second;
      const bool open = w.conn->read_available(kMaxHeadBytes);
      if (w.keep_alive_wait && !w.conn->unread().empty()) {  // the next request begins
        w.keep_alive_wait = false;
        w.deadline = now + head_timeout_;
      }
      if (w.conn->has_complete_head()) {
        auto conn = std::move(w.conn);
        forget(it);
        dispatch(std::move(conn));
      } else if (!open) {
        forget(it);
      } else if (w.conn->unread().size() > kMaxHeadBytes) {
        w.conn->send_now(answer(431, "Request Header Fields Too Large",
                                "the request head (request line and headers) is larger than " +
                                    std::to_string(kMaxHeadBytes) + " bytes"));
        forget(it);
      }
    }

    std::vector<std::pair<std::shared_ptr<ConnectionStream>, bool>> arrived;
    {
      std::lock_guard<std::mutex> lock(arrivals_mutex_);
      arrived.swap(arrivals_);
    }
    for (auto& [conn, keep_alive] : arrived) {
      if (conn->has_complete_head()) {  // a pipelined request already read with the last one
        dispatch(std::move(conn));
        continue;
      }
      const int fd = conn->socket();
      const bool idle = keep_alive && conn->unread().empty();
      const auto limit = idle ? std::chrono::seconds(keep_alive_timeout_sec_) : head_timeout_;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // dropped: `conn` closes
      waiting[fd] = Waiting{std::move(conn), now + limit, idle};
    }

    if (now >= next_sweep) {
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (now < it->second.deadline) {
          ++it;
          continue;
        }
        const Waiting& w = it->second;
        if (!w.keep_alive_wait && !w.conn->unread().empty())
          w.conn->send_now(answer(408, "Request Timeout",
                                  "the request head did not arrive within " + std::to_string(head_timeout_.count()) +
                                      " s"));
        it = forget(it);
      }
      next_sweep = now + kSweepInterval;
    }
  }
  for (auto it = waiting.begin(); it != waiting.end();) it = forget(it);
}

}  // namespace trit::server
