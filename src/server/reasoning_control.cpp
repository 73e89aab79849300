#include "server/reasoning_control.h"

#include "server/api_error.h"
#include "server/json_fields.h"

namespace trit::server {

std::optional<int64_t> effort_budget(const std::string& effort) {
  if (effort == "none" || effort == "minimal") return 0;
  if (effort == "low") return kLowEffortBudget;
  if (effort == "medium") return kMediumEffortBudget;
  if (effort == "high") return kHighEffortBudget;
  return std::nullopt;
}

void parse_reasoning_control(const nlohmann::json& body, tokenizer::ChatOptions& chat,
                             engine::GenerateOptions& generate) {
  std::optional<int64_t> budget;
  if (auto effort = get_string(body, "reasoning_effort")) {
    budget = effort_budget(*effort);
    if (!budget)
      throw ApiError(400, "'reasoning_effort' must be one of none, minimal, low, medium, high; got '" + *effort + "'",
                     "reasoning_effort");
  }
  if (auto tokens = get_integer(body, "thinking_budget_tokens", 0, INT64_MAX)) budget = *tokens;
  if (!budget) return;
  if (*budget == 0) chat.enable_thinking = false;
  else generate.thinking_budget = *budget;
}

}  // namespace trit::server
