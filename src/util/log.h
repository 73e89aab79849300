// Diagnostics go to stderr so stdout stays clean for generated text and JSON.
#pragma once
#include <cstdio>
#include <string>

namespace trit {

enum class LogLevel { quiet = 0, info = 1, debug = 2 };

LogLevel log_level();
void set_log_level(LogLevel level);

void log_info(const std::string& message);
void log_debug(const std::string& message);
void log_warn(const std::string& message);

}  // namespace trit
