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

// Both shapes of a format: chat's {"type", "json_schema": {name, schema, strict}} (`nested`) and
// Responses' flat {"type", name, schema, strict}. `field` names the format in messages and as the
// 400's param.
void parse_format(const json& format, bool nested, const std::string& field, bool thinking,
                  engine::GenerateOptions& options) {
  if (!format.is_object() || !format.contains("type") || !format["type"].is_string())
    throw ApiError(400, "'" + field + "' must be an object with a 'type' (text, json_object or json_schema)", field);
  const std::string type = format["type"].get<std::string>();
  if (type == "text") return;
  if (type == "json_object") {
    set_grammar(grammar::json_object_gbnf(thinking), thinking, field, options);
    return;
  }
  if (type != "json_schema")
    throw ApiError(400, "'" + field + ".type' '" + type + "' is unknown (text, json_object or json_schema)", field);
  const json* spec = &format;
  std::string at = field;
  if (nested) {
    auto it = format.find("json_schema");
    if (it == format.end() || !it->is_object())
      throw ApiError(400, "'" + field + ".json_schema' must be an object with a 'schema'", field);
    spec = &*it;
    at += ".json_schema";
  }
  if (auto name = spec->find("name"); name != spec->end() && !name->is_string())
    throw ApiError(400, "'" + at + ".name' must be a string", field);
  if (auto strict = spec->find("strict"); strict != spec->end() && !strict->is_boolean() && !strict->is_null())
    throw ApiError(400, "'" + at + ".strict' must be a boolean", field);
  auto schema = spec->find("schema");
  if (schema == spec->end() || schema->is_null()) {  // OpenAI allows omitting it: any JSON object then
    set_grammar(grammar::json_object_gbnf(thinking), thinking, field, options);
    return;
  }
  set_schema(*schema, thinking, at + ".schema", field, options);
}

bool present(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && !it->is_null();
}

// llama-server sends (and its /props lists) an empty grammar for none.
bool grammar_given(const json& body) {
  if (!present(body, "grammar")) return false;
  const json& g = body["grammar"];
  return !(g.is_string() && g.get_ref<const std::string&>().empty());
}

}  // namespace

void parse_grammar_fields(const json& body, bool thinking, engine::GenerateOptions& options) {
  const bool grammar = grammar_given(body);
  if (grammar && present(body, "json_schema"))
    throw ApiError(400, "give either 'grammar' or 'json_schema', not both", "grammar");
  if (grammar) {
    if (!body["grammar"].is_string()) throw ApiError(400, "'grammar' must be a string of GBNF", "grammar");
    set_grammar(body["grammar"].get<std::string>(), thinking, "grammar", options);
  }
  if (present(body, "json_schema")) set_schema(body["json_schema"], thinking, "json_schema", "json_schema", options);
}

void parse_structured_output(const json& body, bool thinking, engine::GenerateOptions& options) {
  if (present(body, "response_format") && (grammar_given(body) || present(body, "json_schema")))
    throw ApiError(400, "give at most one of 'response_format', 'grammar' and 'json_schema'",
                   grammar_given(body) ? "grammar" : "json_schema");
  if (present(body, "response_format"))
    parse_format(body["response_format"], true, "response_format", thinking, options);
  parse_grammar_fields(body, thinking, options);
}

void parse_text_format(const json& format, bool thinking, engine::GenerateOptions& options) {
  parse_format(format, false, "text.format", thinking, options);
}

void warm_token_trie(const engine::GenerateOptions& options, const tokenizer::Tokenizer& tokenizer) {
  if (options.grammar) tokenizer.token_trie();
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
