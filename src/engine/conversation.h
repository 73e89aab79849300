// One sequence generating text on its own (trit run, trit chat): feeds the prompt's uncached
// part in batches of -b, then one token per forward call (with its drafts, when speculating), and streams text until the sequence's
// step (engine/sequence.h, shared with the server's scheduler) or the caller stops it. The
// sequence's memory outlives a generation, so a later prompt that extends this one (the next
// chat turn) reuses it.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/generate_options.h"
#include "engine/sequence.h"

namespace trit::engine {

// Receives text as it becomes final; return false to stop generating.
using TextCallback = std::function<bool(const std::string& text)>;

class Conversation {
 public:
  explicit Conversation(Engine& engine);

  // The prompt must leave room for at least one token in the context (else an Error). ban_eog:
  // end-of-generation tokens are never sampled (benchmarks that must run to max_tokens).
  GenerateStats generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                         const TextCallback& on_text, const std::atomic<bool>* cancel = nullptr, bool ban_eog = false);

  // Tokens in the sequence's memory: the last prompt and what was generated after it.
  const std::vector<int32_t>& tokens() const { return sequence_.tokens(); }
  void reset() { sequence_.clear(); }

 private:
  // Feeds every unfed token of the sequence; returns the logits row of the last, or while drafts
  // are verified (Sequence::verifying()) the rows of the unfed token and each draft.
  std::span<const float> feed();

  Engine& engine_;
  Sequence sequence_;
};

}  // namespace trit::engine
