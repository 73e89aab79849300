// One sequence generating text: feeds a prompt (reusing the part of it already in the KV cache
// from an earlier turn), then samples token by token, streaming text and stopping at an
// end-of-generation token, a stop string, max tokens, a full context or a cancel request.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/sampling.h"

namespace trit::engine {

struct GenerateOptions {
  int64_t max_tokens = -1;  // -1: until the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings
  bool skip_special = true;       // control tokens produce no text
};

enum class StopReason { end_of_generation, stop_string, max_tokens, context_full, cancelled };
const char* stop_reason_name(StopReason reason);

struct GenerateStats {
  int64_t prompt_tokens = 0;    // tokens of the prompt
  int64_t prompt_computed = 0;  // of those, not found in the cache
  int64_t generated_tokens = 0;
  double prompt_seconds = 0.0;
  double decode_seconds = 0.0;
  StopReason reason = StopReason::end_of_generation;
  double prompt_tokens_per_second() const { return prompt_seconds > 0 ? prompt_computed / prompt_seconds : 0.0; }
  double decode_tokens_per_second() const { return decode_seconds > 0 ? generated_tokens / decode_seconds : 0.0; }
};

// Receives text as it becomes final; return false to stop generating.
using TextCallback = std::function<bool(const std::string& text)>;

class Conversation {
 public:
  explicit Conversation(Engine& engine);

  // The prompt must leave room for at least one token in the context (else an Error).
  GenerateStats generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                         const TextCallback& on_text, const std::atomic<bool>* cancel = nullptr);

  // Tokens in the cache: the last prompt and what was generated after it.
  const std::vector<int32_t>& tokens() const { return tokens_; }
  void reset();

 private:
  // Feeds prompt[from..] in batches; returns the logits of the last prompt token.
  const std::vector<float>& feed(const std::vector<int32_t>& prompt, size_t from);

  Engine& engine_;
  std::unique_ptr<model::KvSequence> kv_;
  std::vector<int32_t> tokens_;
};

}  // namespace trit::engine
