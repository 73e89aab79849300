#include "util/log.h"

#include <atomic>

namespace trit {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
}

LogLevel log_level() { return g_level.load(); }
void set_log_level(LogLevel level) { g_level.store(level); }

void log_info(const std::string& message) {
  if (g_level.load() >= LogLevel::info) std::fprintf(stderr, "%s\n", message.c_str());
}
void log_debug(const std::string& message) {
  if (g_level.load() >= LogLevel::debug) std::fprintf(stderr, "debug: %s\n", message.c_str());
}
void log_warn(const std::string& message) { std::fprintf(stderr, "warning: %s\n", message.c_str()); }

}  // namespace trit
