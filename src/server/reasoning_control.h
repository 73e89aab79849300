// Per-request reasoning control on chat requests (Qwen3-style thinking models):
//   reasoning_effort (OpenAI): "none" / "minimal": no thinking (the template's enable_thinking
//     false: the prompt ends with an empty think block); "low" / "medium" / "high": a thinking
//     budget of 512 / 2048 / 8192 tokens.
//   thinking_budget_tokens (llama.cpp-style): an integer >= 0; 0 is no thinking, more is a
//     budget. It wins over reasoning_effort when both are given.
// A budget is enforced by the engine (GenerateOptions::thinking_budget): once spent, the
// sequence writes "\n</think>\n\n" itself and the model goes on with its answer. Other values
// are a 400 naming the field.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/generate_options.h"
#include "tokenizer/chat.h"

namespace trit::server {

constexpr int64_t kLowEffortBudget = 512, kMediumEffortBudget = 2048, kHighEffortBudget = 8192;

// The thinking budget of an OpenAI reasoning effort: 0 (thinking off) for none and minimal,
// the budgets above for low, medium and high; nullopt for any other word.
std::optional<int64_t> effort_budget(const std::string& effort);

void parse_reasoning_control(const nlohmann::json& body, tokenizer::ChatOptions& chat,
                             engine::GenerateOptions& generate);

}  // namespace trit::server
