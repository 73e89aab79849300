// A sequence's final hidden states (the residual stream after output_norm: the LM head's input)
// at its newest positions, which a multi-token-prediction head (mtp_head.h) drafts from. Kept only
// when asked (keep()): the forward pass writes a row for every position it feeds, the reader drops
// the rows it has used. Rows of positions past a rewind are written again when those positions
// are fed again; a reader takes only rows below the memory's length.
#pragma once
#include <cstdint>
#include <vector>

namespace trit::model {

class HiddenRows {
 public:
  // Starts (width > 0) or stops (0) keeping rows of `width` values; forgets the rows.
  void keep(int64_t width) {
    width_ = width;
    first_ = 0;
    rows_.clear();
  }
  bool kept() const { return width_ > 0; }
  int64_t width() const { return width_; }
  // Rows are held for positions [first(), end()).
  int64_t first() const { return first_; }
  int64_t end() const { return first_ + (width_ > 0 ? static_cast<int64_t>(rows_.size()) / width_ : 0); }
  const float* row(int64_t position) const { return &rows_[static_cast<size_t>((position - first_) * width_)]; }

  // The forward pass: the row of `position` to fill. Feeding a position at or below end() drops
  // the rows from there on (a rewind); one past a gap starts over there.
  float* write(int64_t position) {
    if (position < first_ || position > end()) {
      rows_.clear();
      first_ = position;
    }
    rows_.resize(static_cast<size_t>((position - first_ + 1) * width_));
    return &rows_[static_cast<size_t>((position - first_) * width_)];
  }
  // The reader: forgets the rows of positions before `position`.
  void drop_before(int64_t position) {
    if (position <= first_) return;
    if (position >= end()) {
      rows_.clear();
      first_ = position;
      return;
    }
    rows_.erase(rows_.begin(), rows_.begin() + static_cast<long>((position - first_) * width_));
    first_ = position;
  }

 private:
  int64_t width_ = 0, first_ = 0;
  std::vector<float> rows_;  // [end() - first()][width]
};

}  // namespace trit::model
