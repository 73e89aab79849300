// Progress reporting for long jobs (downloads, quantization). On a terminal it redraws one line
// in place: label, percent, a bar, done/total, rate and ETA. Anywhere else (a pipe, a log file,
// a test) it writes a start line, one status line per 30 s of a long job and a finish line, never
// carriage returns, so logs stay readable.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "util/timer.h"

namespace trit {

class Progress {
 public:
  enum class Mode { automatic, bar, lines, off };  // automatic: bar on a terminal, else lines
  enum class Unit { bytes, items };

  // total == 0 means unknown (no percent, no ETA). `out` is usually stderr.
  Progress(std::string label, uint64_t total, Mode mode = Mode::automatic,
           Unit unit = Unit::bytes, FILE* out = stderr);
  // Finishes the line if finish() was not called: "done", or "failed" when an exception is
  // unwinding through it (a write error must never be reported as done).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `start` is work already done before this run (a resumed download): it counts toward the
  // fraction but not toward the rate, so the ETA stays honest.
  void set_start(uint64_t start);
  void set_total(uint64_t total);
  void update(uint64_t done);            // redraws at most ~8 times a second
  void finish(const std::string& note = "");  // final line, e.g. "done" or "failed"
  // A message on its own line (e.g. "connection cut, retrying"); the bar redraws below it.
  void note(const std::string& message);

  bool draws_bar() const { return mode_ == Mode::bar; }

  static bool is_terminal(FILE* out);
  // "1.5 MiB", "820 B"; used by callers that print sizes too.
  static std::string format_bytes(uint64_t bytes);
  static std::string format_duration(double seconds);  // "1:05", "2:03:04"

 private:
  std::string render() const;
  std::string fit_to_terminal(const std::string& line) const;
  std::string amount(uint64_t n) const;

  std::string label_;
  uint64_t total_;
  Mode mode_;
  Unit unit_;
  FILE* out_;
  uint64_t start_ = 0;
  uint64_t done_ = 0;
  Timer clock_;
  double last_draw_ = -1.0;
  bool started_ = false;
  bool finished_ = false;
  int uncaught_at_start_ = 0;  // std::uncaught_exceptions() when constructed
};

}  // namespace trit
