// A bare TCP client for requests httplib's client cannot send or cannot survive: bodies without
// Content-Length, a chunked body the server may refuse half way, a request that must be answered
// before the client has finished sending it.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace trit::test {

struct RawAnswer {
  std::string response;   // everything the server wrote (status line, headers, body)
  size_t bytes_sent = 0;  // how much of the request went out before the answer (or an error)
  bool closed = false;    // the server closed the connection before `wait_ms` ran out
  int status() const;     // from the status line; 0 without one
  std::string body() const;
};

// A blocking TCP socket connected to 127.0.0.1:port; -1 when the connection fails.
int connect_loopback(int port);

// Connects to 127.0.0.1:port and sends `head` then, while the server has not answered, the
// pieces `next_piece` returns (an empty piece ends the request). Then reads until the server
// closes or `wait_ms` passes without data.
RawAnswer raw_request(int port, const std::string& head, const std::function<std::string()>& next_piece,
                      int wait_ms = 5000);

}  // namespace trit::test
