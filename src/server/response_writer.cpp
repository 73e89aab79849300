#include "server/response_writer.h"

namespace trit::server {

std::optional<ResultFailure> result_failure(const engine::RequestResult& r) {
  if (r.reason == engine::StopReason::failed || (!r.error.empty() && r.reason != engine::StopReason::cancelled))
    return ResultFailure{500, "generation failed: " + r.error, "server_error"};
  if (r.reason == engine::StopReason::cancelled)
    return ResultFailure{503,
                         "the server is shutting down: this generation was stopped after " +
                             std::to_string(r.generated_tokens) + " tokens",
                         "server_shutting_down"};
  return std::nullopt;
}

std::optional<nlohmann::json> result_error(const engine::RequestResult& r, ErrorShape shape) {
  const auto failure = result_failure(r);
  if (!failure) return std::nullopt;
  return error_body(shape, failure->status, failure->message, "", failure->code);
}

}  // namespace trit::server
