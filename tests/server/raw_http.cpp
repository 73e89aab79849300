#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace trit::test {
namespace {

// Sends all of `data` unless the server answers (or fails) first; false then.
bool send_unless_answered(int fd, const std::string& data, size_t& sent) {
  size_t off = 0;
  while (off < data.size()) {
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) return false;
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return false;
    }
    off += static_cast<size_t>(n);
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int RawAnswer::status() const {
  if (response.compare(0, 5, "HTTP/") != 0) return 0;
  size_t space = response.find(' ');
  return space == std::string::npos ? 0 : std::atoi(response.c_str() + space + 1);
}

std::string RawAnswer::body() const {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

RawAnswer raw_request(int port, const std::string& head, const std::function<std::string()>& next_piece,
                      int wait_ms) {
  RawAnswer answer;
  const int fd = connect_loopback(port);
  if (fd < 0) return answer;
  if (send_unless_answered(fd, head, answer.bytes_sent)) {
    for (std::string piece = next_piece ? next_piece() : ""; !piece.empty(); piece = next_piece())
      if (!send_unless_answered(fd, piece, answer.bytes_sent)) break;
  }
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, wait_ms) <= 0) break;
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      answer.closed = true;
      break;
    }
    answer.response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

}  // namespace trit::test
