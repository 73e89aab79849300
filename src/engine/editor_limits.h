// Limits code editors put on a completion (llama.cpp's n_indent and t_max_predict_ms, sent by
// llama.vim and llama.vscode on every /infill), applied to the decoded text of each token before
// the stop strings see it:
//   indent:  once the text has a newline, a line that starts with fewer than `indent` spaces or
//            tabs ends the generation; that line's text from its first other character is cut
//            (its indentation stays, as llama-server keeps it).
//   seconds: once the text has a newline, generating longer than this (from the first token)
//            ends it.
// Either ends the generation as a limit (StopReason::max_tokens; llama.cpp's stop_type "limit").
#pragma once
#include <cstdint>
#include <string>

namespace trit::engine {

class EditorLimits {
 public:
  EditorLimits(int indent, double seconds) : indent_(indent), seconds_(seconds) {}

  bool active() const { return indent_ > 0 || seconds_ > 0; }
  // The text of one token, cut where the indentation limit ends the generation; `elapsed`:
  // seconds since the first token. After it returns, stopped() says whether to end.
  std::string push(std::string piece, double elapsed);
  bool stopped() const { return stopped_; }

 private:
  int indent_;
  double seconds_;
  bool seen_newline_ = false;
  bool at_line_start_ = false;  // after a newline, no other character yet on this line
  int line_indent_ = 0;
  bool stopped_ = false;
};

}  // namespace trit::engine
