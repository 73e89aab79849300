// One client connection as httplib's Stream, for the gated server (gated_http_server.h).
//
// It owns the socket and the bytes read ahead of httplib's parser: the gate fills the buffer with
// a whole request head before a worker parses it, and bytes past one request (a pipelined next
// request) stay in the buffer for the next round. Reads from the socket after the head are held
// to a body deadline that grows with what arrives:
//   deadline = start + floor + bytes_received / min_rate
// so a body that never comes, or trickles in a byte at a time, frees its worker about `floor`
// seconds after the head, while a large body sent at any reasonable pace is never cut.
#pragma once
#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace trit::server {

class ConnectionStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  ConnectionStream(int fd, std::chrono::seconds read_timeout, std::chrono::seconds write_timeout);
  ~ConnectionStream() override;  // shuts the socket down and closes it
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  // ---- the gate's side ----
  // Reads what the socket has without blocking, but stops once more than `max_unread` bytes wait
  // (a head is bounded; the rest of a refused body must not be buffered). False when the peer
  // closed or the socket failed (what arrived before that stays readable).
  bool read_available(size_t max_unread);
  std::string_view unread() const { return std::string_view(in_).substr(pos_); }
  // The unread bytes hold a whole request head (request line and headers, up to the blank line).
  bool has_complete_head() const;
  // Best effort, never blocks: a short answer to a client that is then dropped.
  void send_now(std::string_view data);

  // ---- the worker's side ----
  // A request begins (its head is in the buffer): its body must come by the deadline above.
  void begin_request(std::chrono::seconds floor, size_t min_bytes_per_second);
  int requests_served = 0;
  // Never blocks: false once the peer has closed its side (or the socket failed).
  bool peer_alive() const;

  // ---- httplib::Stream ----
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  ssize_t copy_out(char* ptr, size_t size);

  int fd_;
  std::chrono::seconds read_timeout_, write_timeout_;
  std::string in_;   // bytes read from the socket; in_[pos_..] not yet parsed
  size_t pos_ = 0;
  Clock::time_point body_start_{};
  std::chrono::seconds body_floor_{0};
  size_t body_rate_ = 0;      // bytes per second the deadline grows by; 0: no body deadline
  size_t body_received_ = 0;  // socket bytes since begin_request
};

}  // namespace trit::server
