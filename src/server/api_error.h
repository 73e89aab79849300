// Errors the API reports to clients, in OpenAI's shape:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages",
//              "code": "context_length_exceeded"}}
// or, on the routes of Anthropic's Messages API, in Anthropic's:
//   {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}
// Handlers throw ApiError; the server turns it into the body of the route's shape with the error's
// HTTP status (send_error, context.h). `code` (OpenAI's shape) is a stable string a client can
// branch on (OpenAI's own where one exists: context_length_exceeded, invalid_api_key,
// model_not_found), null when nothing more specific than the type applies.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace trit::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string param = "", std::string code = "")
      : std::runtime_error(message), status_(status), param_(std::move(param)), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string param_, code_;
};

// The OpenAI error type for an HTTP status (400 invalid_request_error, 401 authentication_error, ...).
const char* error_type(int status);
// The code of an error whose status says it all (401 invalid_api_key, 404 not_found, 413
// request_too_large, 429 rate_limit_exceeded); null (empty) for the rest.
const char* default_error_code(int status);
// `code` empty: default_error_code(status), else null.
nlohmann::json error_body(int status, const std::string& message, const std::string& param = "",
                          const std::string& code = "");

enum class ErrorShape { openai, anthropic };

// Anthropic's error type for an HTTP status (400 invalid_request_error, 503 overloaded_error, ...).
const char* anthropic_error_type(int status);
// The body in `shape` (Anthropic's has no param: its messages name the field themselves).
nlohmann::json error_body(ErrorShape shape, int status, const std::string& message, const std::string& param = "",
                          const std::string& code = "");

// The shape of the errors of the request this HTTP worker thread serves. httplib runs a request
// (routing, handler, exception and error handlers, content providers) on one thread, and the
// server sets this before routing from the request's path (ServerContext::error_shapes), so every
// send_error of that request, wherever it happens, answers in the route's shape.
void set_thread_error_shape(ErrorShape shape);
ErrorShape thread_error_shape();

}  // namespace trit::server
