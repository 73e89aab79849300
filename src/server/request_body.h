// Reading request bodies within --max-body, whatever the framing.
//
// httplib 0.11 checks its payload limit only against a Content-Length header: a chunked body is
// read whole, a body without any length is read until the client closes (or 30 s pass), and a
// form-encoded one over 8 KiB is a 413 that names no real limit. So every route that takes a body
// is a content-reader route: the body is counted as it arrives (after decompression) and reading
// stops at the limit. A route must never leave a body unread on a connection that stays open
// (httplib would parse the rest as the next request), so answers sent before the body is read
// close the connection.
#pragma once
#include <cstddef>
#include <functional>
#include <httplib.h>
#include <string>

namespace trit::server {

struct ServerContext;

// The whole body, at most `limit` bytes. Throws ApiError: 413 over the limit (announced or
// counted), 415 for multipart bodies, 400 when the body ends early or its framing is malformed.
// After a throw the rest of the body is left unread.
std::string read_request_body(const httplib::Request& req, const httplib::ContentReader& reader, size_t limit);

// A POST route whose handler gets the body read by read_request_body; when reading fails the
// error is answered and the connection closed.
using BodyHandler = std::function<void(const httplib::Request&, httplib::Response&, const std::string& body)>;
void post_with_body(ServerContext& ctx, const std::string& pattern, BodyHandler handler);

// Routes for methods with a body on paths no route serves: 404/405 without reading the body.
// Registered after every other body route (the first matching pattern wins).
void add_unrouted_body_handlers(ServerContext& ctx);

// Request framing httplib cannot read safely: a body-carrying method with neither Content-Length
// nor chunked Transfer-Encoding. Checked before routing, so it is 411 at once.
bool lacks_body_framing(const httplib::Request& req);

// Makes httplib close the connection after writing `res` (its body already set): the body goes
// out through a content provider that reports failure once it has written everything, the only
// way a 0.11 handler can end a keep-alive connection.
void close_after_response(httplib::Response& res);

}  // namespace trit::server
