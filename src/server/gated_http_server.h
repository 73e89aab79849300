// httplib::Server with a gate in front of its workers, so that slow clients cannot hold them.
//
// Why: cpp-httplib 0.11 (Debian's) serves each connection on one pool thread from accept() to
// close, and that thread blocks reading the request head with only a per-read timeout. A client
// sending one header byte per second keeps its thread forever; as many such clients as threads
// and nobody is answered, /health included (issue 15, item 3). Raising the thread count only
// raises the number of connections an attacker needs.
//
// How: the accepted socket is not given to a worker. httplib's listener hands it over inline (its
// task queue runs the hand-over on the listener thread: process_and_close_socket, overridden
// here) to the gate: one epoll thread that reads what each waiting connection sends, without
// blocking, until its request head is complete, and drops it when the head does not arrive within
// `head_timeout` (408 if part of one came; silently for a connection that sent nothing). Only a
// connection with a whole head goes to a worker, which runs httplib's own request parser and
// router (process_request, the protected entry point) on a ConnectionStream holding those bytes,
// for exactly one request; a keep-alive connection then goes back to the gate to wait for its
// next request (keep-alive timeout), so idle connections hold no worker either. The body is read
// by the worker under a deadline that scales with its size (connection_stream.h).
//
// Cost of the choice: waiting connections cost a socket and their buffered head (at most
// kMaxHeadBytes), not a thread; everything else (parsing, routing, responses, content
// providers) is httplib's, unchanged.
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace trit::server {

class ConnectionStream;

class GatedHttpServer : public httplib::Server {
 public:
  static constexpr size_t kMaxHeadBytes = 64 * 1024;  // larger: 431 and closed

  GatedHttpServer();
  ~GatedHttpServer() override;

  // Before open_gate(): the time a request head may take, which is also the least time a body
  // gets (plus one second per `body_min_bytes_per_second` bytes received).
  void set_request_deadlines(std::chrono::seconds head_timeout, size_t body_min_bytes_per_second);
  // Starts the gate and `workers` request threads; call before listening.
  void open_gate(size_t workers);
  // After the listener has returned (stop()): drops the connections waiting at the gate and waits
  // for the workers to finish the requests they are serving.
  void close_gate();

  // On a worker thread serving a request: whether its client still holds the connection open
  // (never blocks; a peek at the socket). A handler that waits long before it writes anything (a
  // non-streamed generation) polls it to notice a client that left. True off a worker thread.
  static bool client_connected();

 private:
  struct Waiting;
  bool process_and_close_socket(socket_t sock) override;
  void admit(std::shared_ptr<ConnectionStream> conn, bool keep_alive_wait);
  void gate_loop();
  void serve_one(std::shared_ptr<ConnectionStream> conn);

  std::chrono::seconds head_timeout_{10};
  size_t body_rate_ = 16 * 1024;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: new arrivals, or closing
  std::atomic<bool> open_{false}, closing_{false};
  std::thread gate_;
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::mutex arrivals_mutex_;
  std::vector<std::pair<std::shared_ptr<ConnectionStream>, bool>> arrivals_;  // (connection, keep-alive wait)
};

}  // namespace trit::server
