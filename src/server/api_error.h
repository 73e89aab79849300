// Errors the API reports to clients, in OpenAI's shape:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages", "code": null}}
// Handlers throw ApiError; the server turns it into that body with the error's HTTP status.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace trit::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string param = "")
      : std::runtime_error(message), status_(status), param_(std::move(param)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }

 private:
  int status_;
  std::string param_;
};

// The OpenAI error type for an HTTP status (400 invalid_request_error, 401 authentication_error, ...).
const char* error_type(int status);
nlohmann::json error_body(int status, const std::string& message, const std::string& param = "");

}  // namespace trit::server
