#include "server/structured_output.h"

#include "engine/grammar/gbnf_parser.h"
#include "engine/grammar/json_schema.h"
#include "server/api_error.h"
#include "util/error.h"

namespace trit::server {
namespace {

using json = nlohmann::json;
namespace grammar = engine::grammar;

constexpr const char* kThinkEnd = "</think>";

// GBNF text -> the options' grammar; a failure is a 400 on `field` with the parser's message.
void set_grammar(const std::string& gbnf, bool thinking, const std::string& field, engine::GenerateOptions& options) {
  try {
    options.grammar = std::make_shared<grammar::Grammar>(grammar::parse_gbnf(gbnf));
  } catch (const Error& e) {
    throw ApiError(400, "'" + field + "' is not a valid grammar: " + e.what(), field);
  }
  options.grammar_after = thinking ? kThinkEnd : "";
}

void set_schema(const json& schema, bool thinking, const std::string& field, const std::string& param,
                engine::GenerateOptions& options) {
  if (!schema.is_object() && !schema.is_boolean())
    throw ApiError(400, "'" + field + "' must be a JSON Schema object", param);
  std::string gbnf;
  try {
    gbnf = grammar::json_schema_to_gbnf(schema, thinking);
  } catch (const Error& e) {
    throw ApiError(400, "'" + field + "': " + e.what(), param);
  }
  set_grammar(gbnf, thinking, param, options);
}

void parse_response_format(const json& format, bool thinking, engine::GenerateOptions& options) {
  constexpr const char* kParam = "response_format";
  if (!format.is_object() || !format.contains("type") || !format["type"].is_string())
    throw ApiError(400, "'response_format' must be an object with a 'type' (text, json_object or json_schema)", kParam);
  const std::string type = format["type"].get<std::string>();
  if (type == "text") return;
  if (type == "json_object") {
    set_grammar(grammar::json_object_gbnf(thinking), thinking, kParam, options);
    return;
  }
  if (type != "json_schema")
    throw ApiError(400, "'response_format.type' '" + type + "' is unknown (text, json_object or json_schema)", kParam);
  auto spec = format.find("json_schema");
  if (spec == format.end() || !spec->is_object())
    throw ApiError(400, "'response_format.json_schema' must be an object with a 'schema'", kParam);
  if (auto name = spec->find("name"); name != spec->end() && !name->is_string())
    throw ApiError(400, "'response_format.json_schema.name' must be a string", kParam);
  if (auto strict = spec->find("strict"); strict != spec->end() && !strict->is_boolean() && !strict->is_null())
    throw ApiError(400, "'response_format.json_schema.strict' must be a boolean", kParam);
  auto schema = spec->find("schema");
  if (schema == spec->end()) {  // OpenAI allows omitting it: any JSON object then
    set_grammar(grammar::json_object_gbnf(thinking), thinking, kParam, options);
    return;
  }
  set_schema(*schema, thinking, "response_format.json_schema.schema", kParam, options);
}

}  // namespace

void parse_structured_output(const json& body, bool thinking, engine::GenerateOptions& options) {
  const auto present = [&](const char* key) {
    auto it = body.find(key);
    return it != body.end() && !it->is_null();
  };
  const int given = present("response_format") + present("grammar") + present("json_schema");
  if (given > 1)
    throw ApiError(400, "give at most one of 'response_format', 'grammar' and 'json_schema'",
                   present("grammar") ? "grammar" : "json_schema");
  if (present("response_format")) parse_response_format(body["response_format"], thinking, options);
  if (present("grammar")) {
    if (!body["grammar"].is_string()) throw ApiError(400, "'grammar' must be a string of GBNF", "grammar");
    set_grammar(body["grammar"].get<std::string>(), thinking, "grammar", options);
  }
  if (present("json_schema")) set_schema(body["json_schema"], thinking, "json_schema", "json_schema", options);
}

void force_tool_call(const json& tools, const std::string& only, bool thinking, engine::GenerateOptions& options) {
  grammar::SchemaConverter conv;
  std::string calls;
  for (const json& tool : tools) {
    const json& fn = tool["function"];
    const std::string name = fn["name"].get<std::string>();
    if (!only.empty() && name != only) continue;
    const json parameters = fn.contains("parameters") && !fn["parameters"].is_null() ? fn["parameters"]
                                                                                     : json{{"type", "object"}};
    std::string arguments;
    try {
      arguments = conv.add_schema(parameters, "args-" + name);
    } catch (const Error& e) {
      throw ApiError(400, "'tools': the parameters of function '" + name + "': " + e.what(), "tools");
    }
    // As the template writes a call: {"name": "X", "arguments": {...}}
    calls += (calls.empty() ? "" : " | ") +
             conv.add_rule("call-" + name, grammar::gbnf_literal(json(name).dump() + ", \"arguments\": ") + " " + arguments);
  }
  const std::string lead = thinking ? "[ \\n]{0,3} " : "";
  conv.add_rule("root", lead + grammar::gbnf_literal("<tool_call>\n{\"name\": ") + " (" + calls + ") " +
                            grammar::gbnf_literal("}\n</tool_call>"));
  set_grammar(conv.gbnf(), thinking, "tools", options);
}

}  // namespace trit::server
