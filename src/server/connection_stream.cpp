#include "server/connection_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace trit::server {
namespace {

using namespace std::chrono;

constexpr size_t kReadChunk = 16384;

int poll_ms(milliseconds ms) { return static_cast<int>(std::clamp<int64_t>(ms.count(), 0, 1 << 30)); }

bool wait_for(int fd, short events, milliseconds timeout) {
  pollfd p{fd, events, 0};
  int n;
  do n = poll(&p, 1, poll_ms(timeout));
  while (n < 0 && errno == EINTR);
  return n > 0;
}

void address_text(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    port = ntohs(a.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    port = ntohs(a.sin6_port);
  }
  ip = text;
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, seconds read_timeout, seconds write_timeout)
    : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

ConnectionStream::~ConnectionStream() {
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
}

bool ConnectionStream::read_available(size_t max_unread) {
  char buf[kReadChunk];
  while (in_.size() - pos_ <= max_unread) {
    const ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

bool ConnectionStream::has_complete_head() const {
  const std::string_view u = unread();
  return u.find("\r\n\r\n") != std::string_view::npos || u.find("\n\n") != std::string_view::npos;
}

void ConnectionStream::send_now(std::string_view data) {
  (void)::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void ConnectionStream::begin_request(seconds floor, size_t min_bytes_per_second) {
  body_start_ = Clock::now();
  body_floor_ = floor;
  body_rate_ = min_bytes_per_second;
  body_received_ = 0;
}

ssize_t ConnectionStream::copy_out(char* ptr, size_t size) {
  const size_t n = std::min(size, in_.size() - pos_);
  std::memcpy(ptr, in_.data() + pos_, n);
  pos_ += n;
  if (pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  return static_cast<ssize_t>(n);
}

bool ConnectionStream::is_readable() const {
  return pos_ < in_.size() || wait_for(fd_, POLLIN, read_timeout_);
}

// httplib's own test: writable within the timeout, and the peer has not closed its side (a
// readable socket whose peek says end-of-file). This is how a streaming handler learns that its
// client left.
bool ConnectionStream::peer_alive() const {
  if (!wait_for(fd_, POLLIN, milliseconds(0))) return true;
  char c;
  const ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

bool ConnectionStream::is_writable() const { return wait_for(fd_, POLLOUT, write_timeout_) && peer_alive(); }

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (pos_ < in_.size()) return copy_out(ptr, size);
  milliseconds timeout = read_timeout_;
  if (body_rate_ > 0) {
    const auto deadline = body_start_ + body_floor_ + milliseconds(body_received_ * 1000 / body_rate_);
    timeout = std::min(timeout, duration_cast<milliseconds>(deadline - Clock::now()));
    if (timeout.count() <= 0) return -1;  // the body is too slow: httplib answers 400 and closes
  }
  if (!wait_for(fd_, POLLIN, timeout)) return -1;
  char buf[kReadChunk];
  ssize_t n;
  do n = recv(fd_, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  body_received_ += static_cast<size_t>(n);
  in_.append(buf, static_cast<size_t>(n));
  return copy_out(ptr, size);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (!is_writable()) return -1;
  ssize_t n;
  do n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_text(addr, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_text(addr, ip, port);
}

}  // namespace trit::server
