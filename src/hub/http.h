// A small HTTP(S) client on libcurl for the hub: HEAD for file facts, GET for the API's JSON and
// for file bodies (optionally from a byte offset, streamed to a callback). Redirects are followed;
// curl does not forward the Authorization header to another host, which is what the hub's
// redirect to its CDN (a presigned URL) needs.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "util/error.h"

namespace trit::hub {

// The hub could not be reached at all (DNS, refused connection, TLS, timeout before any answer).
// resolve() turns this into the "you are offline" advice.
class NetworkError : public Error {
 public:
  using Error::Error;
};

struct HttpResponse;

struct HttpRequest {
  std::string url;
  bool head = false;
  bool follow_redirects = true;  // false: a 3xx is the response (its Location in headers)
  uint64_t range_start = 0;   // > 0 sends "Range: bytes=N-"
  std::string token;          // non-empty: "Authorization: Bearer <token>"
  long connect_timeout_s = 20;
  long stall_timeout_s = 60;  // abort when under 1 byte/s for this long (a dead connection)
  // Receives the final response's body. Returning false aborts the transfer. When unset the
  // body is collected into HttpResponse::body (up to max_body bytes; more is an error).
  // The response passed in has the final status and headers (body empty).
  std::function<bool(const HttpResponse& head, const char* data, size_t size)> on_body;
  size_t max_body = 16 << 20;
  // Total body bytes received so far by this request (for a progress bar).
  std::function<void(uint64_t received)> on_progress;
};

enum class TransportResult {
  ok,           // a complete HTTP response (any status)
  unreachable,  // never got an answer: DNS, connect, TLS, timeout before headers
  interrupted,  // the answer started but the body was cut short (resume can finish it)
  aborted,      // on_body returned false
  failed,       // anything else curl reports
};

struct HttpResponse {
  TransportResult result = TransportResult::ok;
  std::string transport_error;  // curl's message when result != ok
  long status = 0;              // status of the final response (after redirects)
  // Header names in lower case. `headers` are the final response's; `first_headers` keeps the
  // first value of each name seen anywhere in the redirect chain, which is where the hub puts
  // X-Linked-Etag and X-Linked-Size (on its 302 to the CDN).
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> first_headers;
  std::string body;
  std::string effective_url;

  // Header from the final response, else from anywhere in the chain; "" when absent.
  std::string header(const std::string& lower_name) const;
};

// Performs one request. Never throws for HTTP statuses or transport problems (see `result`);
// throws trit::Error only when curl itself cannot be set up.
HttpResponse http_request(const HttpRequest& request);

// "scheme://host[:port]" of a URL ("" when it has no scheme).
std::string url_origin(const std::string& url);
// A Location header resolved against the URL that sent it (absolute, or "/path" on its origin).
std::string resolve_location(const std::string& base_url, const std::string& location);

// Throws the user-facing error for a failed hub request: 404 "model file not found on the hub",
// 401/403 with advice that depends on whether a token was sent, other statuses verbatim, and a
// NetworkError for `unreachable`. `what` names the thing asked for (usually the URL).
[[noreturn]] void fail_hub_response(const HttpResponse& response, const std::string& url,
                                    bool sent_token);

}  // namespace trit::hub
