// Typed reads of optional request fields. Each throws ApiError(400) naming the field and what it
// should have been, so a wrong type never reaches the engine.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace trit::server {

using json = nlohmann::json;

// Parses a request body; malformed JSON or a non-object is a 400.
json parse_json_object(const std::string& body);

// Absent or null fields give nullopt.
std::optional<bool> get_bool(const json& o, const char* key);
std::optional<double> get_number(const json& o, const char* key, double min, double max);
std::optional<int64_t> get_integer(const json& o, const char* key, int64_t min, int64_t max);
std::optional<std::string> get_string(const json& o, const char* key);
// The field if present (not null) and an object / array; else a 400.
const json* get_object(const json& o, const char* key);
const json* get_array(const json& o, const char* key);

}  // namespace trit::server
