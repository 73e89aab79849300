#include "server/request_body.h"

#include <strings.h>

#include <charconv>
#include <memory>

#include "server/api_error.h"
#include "server/context.h"

namespace trit::server {
namespace {

bool method_has_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool is_chunked(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") && strcasecmp(req.get_header_value("Transfer-Encoding").c_str(), "chunked") == 0;
}

std::string too_large(size_t limit) {
  return "the request body is larger than the limit of " + std::to_string(limit) + " bytes (--max-body)";
}

}  // namespace

bool lacks_body_framing(const httplib::Request& req) {
  return method_has_body(req.method) && !req.has_header("Content-Length") && !is_chunked(req);
}

std::string read_request_body(const httplib::Request& req, const httplib::ContentReader& reader, size_t limit) {
  if (req.is_multipart_form_data())
    throw ApiError(415, "multipart/form-data bodies are not accepted: send the JSON request as application/json");
  if (req.has_header("Content-Length") && !is_chunked(req)) {
    const std::string text = req.get_header_value("Content-Length");
    uint64_t announced = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), announced);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && announced > limit))
      throw ApiError(413, too_large(limit));
    if (ec != std::errc() || end != text.data() + text.size())
      throw ApiError(400, "the Content-Length header is not a number of bytes");
  }
  std::string body;
  bool over = false;
  const bool complete = reader([&](const char* data, size_t n) {
    if (n > limit - body.size()) {
      over = true;
      return false;  // stop reading: the rest is never buffered
    }
    body.append(data, n);
    return true;
  });
  if (over) throw ApiError(413, too_large(limit));
  if (!complete) throw ApiError(400, "the request body ended early or its chunked framing is malformed");
  return body;
}

void post_with_body(ServerContext& ctx, const std::string& pattern, BodyHandler handler) {
  ServerContext* c = &ctx;
  ctx.http.Post(pattern, [c, handler](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
    std::string body;
    try {
      body = read_request_body(req, reader, c->options.max_body_bytes);
    } catch (const ApiError& e) {
      send_error(res, e.status(), e.what(), e.param(), e.code());
      close_after_response(res);  // the rest of the body is still on the connection
      return;
    }
    handler(req, res, body);
  });
}

void add_unrouted_body_handlers(ServerContext& ctx) {
  auto unrouted = [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader&) {
    send_error(res, 404, "no route for " + req.method + " " + req.path);
    close_after_response(res);
  };
  ctx.http.Post(".*", unrouted);
  ctx.http.Put(".*", unrouted);
  ctx.http.Patch(".*", unrouted);
  ctx.http.Delete(".*", unrouted);
}

void close_after_response(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  if (type.empty()) type = "text/plain";
  res.headers.erase("Content-Type");
  res.set_header("Connection", "close");
  if (body->empty()) *body = " ";  // a provider needs a length above 0 to be called at all
  res.set_content_provider(body->size(), type, [body](size_t offset, size_t, httplib::DataSink& sink) {
    sink.write(body->data() + offset, body->size() - offset);
    return false;  // everything is written; false makes httplib drop the connection
  });
}

}  // namespace trit::server
