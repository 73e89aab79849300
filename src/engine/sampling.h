// Choosing the next token from logits. The chain follows llama.cpp's default order: repetition,
// presence and frequency penalties on the raw logits; then top-k, top-p and min-p filters on the
// softmax of the penalised logits; then temperature; then a draw from the seeded generator.
// temperature <= 0 is greedy (argmax, ties to the lowest id).
#pragma once
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace trit::engine {

struct SamplingParams {
  float temperature = 0.8f;
  int top_k = 40;              // 0: off
  float top_p = 0.95f;         // 1: off
  float min_p = 0.05f;         // 0: off
  float repeat_penalty = 1.0f; // 1: off; divides positive logits, multiplies negative ones
  int repeat_last_n = 64;      // how many recent tokens the penalties look at (-1: all)
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = 0;           // same seed, same output
  // (token id, amount) added to that token's logit before anything else (OpenAI's logit_bias);
  // an amount of -100 or less bans the token (its logit becomes -inf).
  std::vector<std::pair<int32_t, float>> logit_bias;
};

struct TokenProbability {
  int32_t token = 0;
  float logprob = 0.0f;  // natural log of the probability under the model's softmax (temperature 1)
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // Picks a token. `history` holds the tokens so far (prompt and generated) for the penalties.
  // With a `draft` token (speculative decoding, a guess made without the model) the pick is still
  // distributed exactly as without it: the draft is taken with its probability p(draft) under the
  // chain above, else a token is drawn from the others in proportion to theirs (rejection sampling
  // against a drafter that proposes one token for certain). Greedy picks the argmax either way.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history, int32_t draft = -1);

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // (logit, id)
};

int32_t argmax(std::span<const float> logits);

// Log-probability of `token` and the `n_top` most likely tokens under softmax(logits).
TokenProbability token_logprob(std::span<const float> logits, int32_t token);
std::vector<TokenProbability> top_logprobs(std::span<const float> logits, int n_top);

}  // namespace trit::engine
