#include "server/api_error.h"

namespace trit::server {

const char* error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "invalid_request_error";
    case 429: return "rate_limit_error";
    case 503: return "server_unavailable_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

const char* default_error_code(int status) {
  switch (status) {
    case 401: return "invalid_api_key";
    case 404: return "not_found";
    case 408: return "request_timeout";
    case 413: return "request_too_large";
    case 429: return "rate_limit_exceeded";
    default: return "";
  }
}

nlohmann::json error_body(int status, const std::string& message, const std::string& param, const std::string& code) {
  const std::string c = code.empty() ? default_error_code(status) : code;
  nlohmann::json error = {{"message", message}, {"type", error_type(status)}};
  error["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  error["code"] = c.empty() ? nlohmann::json(nullptr) : nlohmann::json(c);
  return {{"error", error}};
}

const char* anthropic_error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

nlohmann::json error_body(ErrorShape shape, int status, const std::string& message, const std::string& param,
                          const std::string& code) {
  if (shape == ErrorShape::openai) return error_body(status, message, param, code);
  return {{"type", "error"}, {"error", {{"type", anthropic_error_type(status)}, {"message", message}}}};
}

namespace {
thread_local ErrorShape t_error_shape = ErrorShape::openai;
}

void set_thread_error_shape(ErrorShape shape) { t_error_shape = shape; }
ErrorShape thread_error_shape() { return t_error_shape; }

}  // namespace trit::server
