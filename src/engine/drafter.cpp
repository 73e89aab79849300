#include "engine/drafter.h"

#include <algorithm>
#include <cmath>

#include "engine/draft_model.h"
#include "engine/mtp_drafter.h"
#include "engine/ngram_draft.h"
#include "util/error.h"

namespace trit::engine {

namespace {

class NgramDrafter final : public Drafter {
 public:
  std::vector<int32_t> draft(std::span<const int32_t> history, model::SequenceMemory& /*target*/,
                             const DraftLimits& limits) override {
    return ngram_draft(history, limits.max_tokens);
  }
  bool is(const SpeculationOptions& options) const override { return options.mode == SpeculationMode::ngram; }
  bool gives_up() const override { return false; }
};

}  // namespace

std::unique_ptr<Drafter> make_drafter(const SpeculationOptions& options) {
  switch (options.mode) {
    case SpeculationMode::none: return nullptr;
    case SpeculationMode::ngram: return std::make_unique<NgramDrafter>();
    case SpeculationMode::draft:
      if (!options.draft_model) fail("speculative decoding with a draft model, but no draft model was loaded (-md FILE)");
      return std::make_unique<ModelDrafter>(options.draft_model);
    case SpeculationMode::mtp:
      if (!options.mtp_model) fail("speculative decoding with the model's MTP head, but the head was not loaded");
      return std::make_unique<MtpDrafter>(options.mtp_model);
  }
  return nullptr;
}

int32_t most_likely_draft(std::span<const float> row, size_t vocab_size, const DraftLimits& limits,
                          std::vector<float>& scratch) {
  std::span<const float> vocab = row.first(std::min(vocab_size, row.size()));
  if (!limits.bias.empty()) {
    scratch.assign(vocab.begin(), vocab.end());
    for (auto [id, add] : limits.bias)
      if (id >= 0 && static_cast<size_t>(id) < scratch.size()) scratch[static_cast<size_t>(id)] += add;
    vocab = scratch;
  }
  const auto best = std::max_element(vocab.begin(), vocab.end());
  if (!std::isfinite(*best)) return -1;  // everything banned
  if (limits.min_probability > 0.0f) {
    double sum = 0.0;  // p(best) = 1 / sum exp(l - l_best)
    for (float l : vocab) sum += std::exp(static_cast<double>(l - *best));
    if (1.0 / sum < limits.min_probability) return -1;
  }
  return static_cast<int32_t>(best - vocab.begin());
}

}  // namespace trit::engine
