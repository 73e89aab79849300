// CLI11 validators whose messages speak in the option's terms ("-c must be a whole number of
// tokens from 0 to 16777216"), unlike CLI::PositiveNumber and friends, which print a range up to
// the largest double (309 digits), and which read text themselves, so that a value past int64
// (strtoll saturates silently) or "nan" is refused instead of taken.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace trit::cli {

// A whole number in [min, max]; `unit` names what it counts ("tokens", "threads").
CLI::Validator whole_number(int64_t min, int64_t max, const std::string& unit);
// A finite number >= min (or > min when !inclusive).
CLI::Validator finite_number_from(double min, bool inclusive = true);

}  // namespace trit::cli
