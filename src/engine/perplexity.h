// Perplexity over a text, the llama-perplexity way, and KL divergence against a base model.
//
// The whole text is tokenized as one string (control tokens as plain text, no BOS unless the
// model asks for one) and cut into non-overlapping windows of `context` tokens; a tail shorter
// than a window is dropped. Each window is a fresh sequence. Its first half (positions
// 0 .. context/2 - 1) is context only; the logits at positions j = context/2 .. context-2 score the
// token at j + 1, so a window scores context - 1 - context/2 tokens (127 for 256). When the
// tokenizer adds BOS, the window's first token is replaced by BOS, as llama-perplexity does.
// A window is fed in batches of at most the engine's batch size; the unscored first half is run
// without logits.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/perplexity_logits.h"
#include "engine/perplexity_math.h"

namespace trit::engine {

struct WindowPlan {
  std::vector<int32_t> tokens;  // n_windows * context tokens, window after window
  int64_t context = 0;
  int64_t n_windows = 0;
  int64_t text_tokens = 0;      // tokens of the whole text
  int64_t first() const { return context / 2; }
  int64_t scored_per_window() const { return context - 1 - context / 2; }
  int64_t scored() const { return n_windows * scored_per_window(); }
};

// Tokenizes `text` and cuts the windows (at most max_windows; -1: as many as fit). Throws when
// the text holds less than one window, or context < 4.
WindowPlan plan_windows(const tokenizer::Tokenizer& tokenizer, std::string_view text, int64_t context,
                        int64_t max_windows);

// What to compare the model against, if anything (at most one of base / base_logits).
struct PerplexityInputs {
  Engine* model = nullptr;
  Engine* base = nullptr;                     // --kl-base: run in lockstep with the model
  SavedLogitsReader* base_logits = nullptr;   // --kl-logits: the base's saved distributions
  SavedLogitsWriter* save = nullptr;          // --save-logits: the model's distributions
  int64_t save_top_k = 128;                   // entries per token in the saved file (its header's top_k)
};

struct PerplexityResult {
  int64_t context = 0, n_windows = 0, scored = 0, text_tokens = 0;
  MeanStats model_nll;
  Estimate model_ppl;
  std::optional<Estimate> base_ppl;
  std::optional<KlSummary> kl;
  bool kl_exact = true;       // false: KL over the saved top-k (a lower bound)
  int64_t kl_top_k = 0;       // k of the saved file when !kl_exact
  double seconds = 0;
  double tokens_per_second = 0;  // tokens through the model (both halves of every window)
};

// Called after each window with the windows done and the model's NLL so far.
using WindowDone = std::function<void(int64_t windows_done, const MeanStats& model_nll)>;

PerplexityResult evaluate_perplexity(const PerplexityInputs& inputs, const WindowPlan& plan,
                                     const WindowDone& on_window = nullptr);

}  // namespace trit::engine
