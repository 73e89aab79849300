#include "engine/editor_limits.h"

namespace trit::engine {

std::string EditorLimits::push(std::string piece, double elapsed) {
  if (stopped_) return "";
  for (size_t i = 0; i < piece.size(); ++i) {
    const char c = piece[i];
    if (c == '\n') {
      seen_newline_ = true;
      at_line_start_ = true;
      line_indent_ = 0;
    } else if (at_line_start_ && (c == ' ' || c == '\t')) {
      ++line_indent_;
    } else if (at_line_start_) {
      at_line_start_ = false;
      if (indent_ > 0 && line_indent_ < indent_) {
        stopped_ = true;
        piece.resize(i);
        return piece;
      }
    }
  }
  if (seconds_ > 0 && seen_newline_ && elapsed > seconds_) stopped_ = true;
  return piece;
}

}  // namespace trit::engine
