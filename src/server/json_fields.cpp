#include "server/json_fields.h"

#include <cmath>

#include "server/api_error.h"
#include "server/json_path.h"
#include "util/json_depth.h"

namespace trit::server {
namespace {

const json* field(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string range_text(double min, double max) {
  auto num = [](double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    return std::to_string(v);
  };
  return num(min) + " to " + num(max);
}

}  // namespace

json parse_json_object(const std::string& body) {
  if (json_nesting_depth(body) > kMaxJsonDepth)
    throw ApiError(400, "the request body is JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  JsonPath path;
  json j;
  try {
    j = json::parse(body, path.callback());
  } catch (const json::parse_error& e) {
    throw ApiError(400, "the request body is not valid JSON: " + parse_error_text(e, body));
  } catch (const json::out_of_range& e) {
    // The lexer's only range error: a number too large for a double (1e400).
    const std::string field = path.current();
    throw ApiError(400, (field.empty() ? std::string("a number") : "'" + field + "'") +
                            " is out of range: a number must fit in a double (about 1.8e308)",
                   field);
  }
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

std::optional<bool> get_bool(const json& o, const char* key) {
  const json* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw ApiError(400, std::string("'") + key + "' must be a boolean", key);
  return v->get<bool>();
}

std::optional<double> get_number(const json& o, const char* key, double min, double max) {
  const json* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw ApiError(400, std::string("'") + key + "' must be a number", key);
  double x = v->get<double>();
  if (!(x >= min && x <= max))
    throw ApiError(400, std::string("'") + key + "' must be in the range " + range_text(min, max), key);
  return x;
}

std::optional<int64_t> get_integer(const json& o, const char* key, int64_t min, int64_t max) {
  const json* v = field(o, key);
  if (!v) return std::nullopt;
  int64_t x;
  if (v->is_number_integer()) {
    // Unsigned values above int64 (e.g. a 64-bit seed) wrap; clamp them instead.
    x = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                                                                      : v->get<int64_t>();
  } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
             std::fabs(v->get<double>()) < 9e15) {
    x = static_cast<int64_t>(v->get<double>());
  } else {
    throw ApiError(400, std::string("'") + key + "' must be an integer", key);
  }
  if (x < min || x > max)
    throw ApiError(400, std::string("'") + key + "' must be in the range " + range_text(double(min), double(max)),
                   key);
  return x;
}

std::optional<std::string> get_string(const json& o, const char* key) {
  const json* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw ApiError(400, std::string("'") + key + "' must be a string", key);
  return v->get<std::string>();
}

const json* get_object(const json& o, const char* key) {
  const json* v = field(o, key);
  if (v && !v->is_object()) throw ApiError(400, std::string("'") + key + "' must be an object", key);
  return v;
}

const json* get_array(const json& o, const char* key) {
  const json* v = field(o, key);
  if (v && !v->is_array()) throw ApiError(400, std::string("'") + key + "' must be an array", key);
  return v;
}

}  // namespace trit::server
