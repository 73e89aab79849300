#include "cli/value_checks.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace trit::cli {

CLI::Validator whole_number(int64_t min, int64_t max, const std::string& unit) {
  const std::string range = "a whole number of " + unit + " from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (end != text.data() + text.size() || text.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range))
          return "'" + text + "' is not " + range;
        if (ec == std::errc::result_out_of_range || v < min || v > max) return text + " is too " +
                                                                              (text[0] == '-' || v < min ? "small" : "large") +
                                                                              ": give " + range;
        return "";
      },
      range);
}

CLI::Validator finite_number_from(double min, bool inclusive) {
  const std::string what = std::string("a number ") + (inclusive ? "of at least " : "above ") + CLI::detail::to_string(min);
  return CLI::Validator(
      [min, inclusive, what](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) return "'" + text + "' is not " + what;
        if (inclusive ? v < min : v <= min) return text + " is too small: give " + what;
        return "";
      },
      what);
}

}  // namespace trit::cli
