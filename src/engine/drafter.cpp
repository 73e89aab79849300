#include "engine/drafter.h"

#include "engine/draft_model.h"
#include "engine/ngram_draft.h"
#include "util/error.h"

namespace trit::engine {

namespace {

class NgramDrafter final : public Drafter {
 public:
  std::vector<int32_t> draft(std::span<const int32_t> history, const DraftLimits& limits) override {
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
  }
  return nullptr;
}

}  // namespace trit::engine
