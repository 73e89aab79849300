// Errors the API reports to clients, in OpenAI's shape:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages",
//              "code": "context_length_exceeded"}}
// Handlers throw ApiError; the server turns it into that body with the error's HTTP status.
// `code` is a stable string a client can branch on (OpenAI's own where one exists:
// context_length_exceeded, invalid_api_key, model_not_found), null when nothing more specific
// than the type applies.
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

}  // namespace trit::server
