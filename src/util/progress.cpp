#include "util/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "util/error.h"

namespace trit {

namespace {
constexpr double kRedrawInterval = 0.125;  // seconds between bar redraws
constexpr double kLineInterval = 30.0;   // seconds between progress lines off a terminal
constexpr int kBarWidth = 24;

// A line longer than the terminal wraps, and "\r" then only rewinds its last row: clip it.
std::string clip_to_width(const std::string& line, int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col < 20) return line;
  size_t width = size.ws_col - 1u;
  return line.size() <= width ? line : line.substr(0, width);
}

std::string printf_string(const char* format, double a, const char* unit) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, a, unit);
  return buffer;
}
}  // namespace

Progress::Progress(std::string label, uint64_t total, Mode mode, Unit unit, FILE* out)
    : label_(std::move(label)),
      total_(total),
      mode_(mode),
      unit_(unit),
      out_(out),
      uncaught_at_start_(std::uncaught_exceptions()) {
  if (mode_ == Mode::automatic) mode_ = is_terminal(out_) ? Mode::bar : Mode::lines;
  if (out_ == nullptr) mode_ = Mode::off;
}

Progress::~Progress() {
  if (started_ && !finished_) finish(std::uncaught_exceptions() > uncaught_at_start_ ? "failed" : "");
}

bool Progress::is_terminal(FILE* out) { return out != nullptr && isatty(fileno(out)) == 1; }

std::string Progress::format_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int u = 0;
  while (value >= 1024.0 && u < 4) {
    value /= 1024.0;
    ++u;
  }
  if (u == 0) return cat(bytes, " B");
  return printf_string(value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[u]);
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<uint64_t>(seconds + 0.5);
  uint64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buffer[48];
  if (h > 0)
    std::snprintf(buffer, sizeof buffer, "%llu:%02llu:%02llu", (unsigned long long)h,
                  (unsigned long long)m, (unsigned long long)s);
  else
    std::snprintf(buffer, sizeof buffer, "%llu:%02llu", (unsigned long long)m,
                  (unsigned long long)s);
  return buffer;
}

std::string Progress::fit_to_terminal(const std::string& line) const {
  return clip_to_width(line, fileno(out_));
}

std::string Progress::amount(uint64_t n) const {
  return unit_ == Unit::bytes ? format_bytes(n) : std::to_string(n);
}

void Progress::set_start(uint64_t start) {
  start_ = start;
  done_ = std::max(done_, start);
}

void Progress::set_total(uint64_t total) { total_ = total; }

// One line: "label  45% [==========>             ] 450 MiB / 1.00 GiB  12.3 MiB/s  ETA 0:45"
std::string Progress::render() const {
  std::string line = label_;
  double elapsed = clock_.seconds();
  double rate = elapsed > 0 ? static_cast<double>(done_ - std::min(done_, start_)) / elapsed : 0;
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    char percent[16];
    std::snprintf(percent, sizeof percent, " %3d%% [", static_cast<int>(fraction * 100));
    line += percent;
    int filled = static_cast<int>(fraction * kBarWidth);
    for (int i = 0; i < kBarWidth; ++i) line += i < filled ? '=' : i == filled ? '>' : ' ';
    line += cat("] ", amount(done_), " / ", amount(total_));
  } else {
    line += cat(" ", amount(done_));
  }
  if (rate > 0) {
    line += unit_ == Unit::bytes ? cat("  ", format_bytes(static_cast<uint64_t>(rate)), "/s")
                                 : printf_string("  %.1f%s", rate, "/s");
    if (total_ > done_) line += cat("  ETA ", format_duration((total_ - done_) / rate));
  }
  return line;
}

void Progress::update(uint64_t done) {
  done_ = done;
  if (mode_ == Mode::off) return;
  if (!started_) {
    started_ = true;
    if (mode_ == Mode::lines) {
      std::string what = total_ > 0 ? amount(total_) : std::string("unknown size");
      if (start_ > 0) what += cat(", resuming at ", amount(start_));
      std::fprintf(out_, "%s: started (%s)\n", label_.c_str(), what.c_str());
      std::fflush(out_);
    }
  }
  double now = clock_.seconds();
  if (mode_ == Mode::lines) {
    // A quiet heartbeat for logs: one line every kLineInterval seconds of a long job.
    if (now - last_draw_ >= kLineInterval && last_draw_ >= 0) {
      std::fprintf(out_, "%s\n", render().c_str());
      std::fflush(out_);
      last_draw_ = now;
    }
    if (last_draw_ < 0) last_draw_ = now;
    return;
  }
  if (last_draw_ >= 0 && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  // \r returns to column 0; \033[K clears what a longer previous line left behind.
  std::fprintf(out_, "\r%s\033[K", fit_to_terminal(render()).c_str());
  std::fflush(out_);
}

void Progress::note(const std::string& message) {
  if (mode_ == Mode::off) return;
  if (mode_ == Mode::bar) {
    std::fprintf(out_, "\r\033[K%s\n", message.c_str());
    last_draw_ = -1.0;  // redraw the bar at the next update
  } else {
    std::fprintf(out_, "%s: %s\n", label_.c_str(), message.c_str());
  }
  std::fflush(out_);
}

void Progress::finish(const std::string& note) {
  if (finished_ || mode_ == Mode::off) {
    finished_ = true;
    return;
  }
  if (!started_) update(done_);
  finished_ = true;
  double elapsed = clock_.seconds();
  std::string suffix = note.empty() ? std::string("done") : note;
  if (mode_ == Mode::bar) {
    std::fprintf(out_, "\r%s\033[K\n", fit_to_terminal(render() + "  " + suffix).c_str());
  } else {
    std::fprintf(out_, "%s: %s, %s in %s\n", label_.c_str(), suffix.c_str(), amount(done_).c_str(),
                 format_duration(elapsed).c_str());
  }
  std::fflush(out_);
}

}  // namespace trit
