#include "engine/grammar/grammar_constraint.h"

#include <cmath>
#include <limits>

namespace trit::engine::grammar {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar, const tokenizer::Tokenizer& tokenizer,
                                     std::string start_after)
    : tokenizer_(&tokenizer),
      matcher_(std::move(grammar)),
      mask_(tokenizer.token_trie()),
      start_after_(std::move(start_after)),
      active_(start_after_.empty()) {}

bool GrammarConstraint::apply(std::span<const float> logits, std::vector<float>& out) {
  if (!mask_.apply(matcher_, logits, out)) return false;
  for (float v : out)
    if (v != -std::numeric_limits<float>::infinity()) return true;
  return false;
}

void GrammarConstraint::accept(int32_t token) {
  const std::string& bytes = tokenizer_->token_bytes(token);
  if (active_) {
    // The mask allowed only tokens the matcher takes; a refusal here would be a bug in the mask,
    // and then the grammar simply stops constraining rather than dead-ending the generation.
    if (!matcher_.accept(bytes)) active_ = false;
    return;
  }
  recent_ += bytes;
  const size_t found = recent_.find(start_after_);
  if (found == std::string::npos) {
    if (recent_.size() > 4 * start_after_.size()) recent_.erase(0, recent_.size() - start_after_.size());
    return;
  }
  active_ = true;
  matcher_.reset();
  // What the same token wrote after the marker already counts (when the grammar takes it).
  matcher_.accept(std::string_view(recent_).substr(found + start_after_.size()));
  recent_.clear();
}

}  // namespace trit::engine::grammar
