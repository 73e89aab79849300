// JSON Schema -> GBNF text (parse it with parse_gbnf), so that a constrained model writes JSON
// that conforms to the schema.
//
// Supported: type (object, array, string, number, integer, boolean, null, or an array of them:
// ["string", "null"]), properties, required, additionalProperties (false, true or a schema;
// absent means none beyond `properties` when there are some, any when there are none), enum,
// const, items, prefixItems, minItems, maxItems, minLength, maxLength, anyOf, oneOf, allOf of
// object schemas (merged), $ref to #, #/$defs/... and #/definitions/..., and the annotations
// title, description, default, examples, $schema, $id, $comment. Anything else (pattern,
// minimum, format, ...) is refused: a trit::Error naming the keyword and where it is, rather
// than output that silently ignores it.
//
// The grammar writes what a model would: properties in the order nlohmann::json keeps them
// (sorted by name; required ones always, optional ones maybe), compact or lightly spaced JSON. Numbers are bounded (16 digits,
// 3 exponent digits) and whitespace runs are short, so that a text can always end.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace trit::engine::grammar {

// Builds one GBNF grammar from any number of schemas (forced tool calls put one per function
// into a single grammar).
class SchemaConverter {
 public:
  SchemaConverter();
  // Adds the rules for `schema` (the document its $refs resolve in) and returns the name of the
  // rule matching a conforming value (no whitespace around it).
  std::string add_schema(const nlohmann::json& schema, const std::string& name_hint);
  // Adds `name ::= body` (body in GBNF) and returns the name, made unique if needed.
  std::string add_rule(const std::string& name_hint, const std::string& body);
  std::string gbnf() const;

 private:
  std::string visit(const nlohmann::json& schema, const std::string& name, const std::string& path);
  std::string visit_object(const nlohmann::json& schema, const std::string& name, const std::string& path);
  std::string visit_array(const nlohmann::json& schema, const std::string& name, const std::string& path);
  std::string visit_string(const nlohmann::json& schema, const std::string& name, const std::string& path);
  std::string visit_ref(const std::string& ref, const std::string& path);
  nlohmann::json merge_all_of(const nlohmann::json& all_of, const std::string& path);

  std::vector<std::pair<std::string, std::string>> rules_;  // in the order added
  std::map<std::string, size_t> rule_index_;
  std::map<std::string, std::string> ref_rules_;  // "<document>#<ref>" -> rule
  const nlohmann::json* document_ = nullptr;
  int document_id_ = 0;
};

// A literal JSON text as a GBNF string literal ("\"a\"" for the JSON string "a").
std::string gbnf_literal(const std::string& text);

// The grammar for one schema: root ::= the value. `leading_space` lets the text begin with a
// few spaces or newlines (after a think block).
std::string json_schema_to_gbnf(const nlohmann::json& schema, bool leading_space = false);
// Any JSON object (response_format json_object).
std::string json_object_gbnf(bool leading_space = false);

}  // namespace trit::engine::grammar
