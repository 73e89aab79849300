// The grammar engine (engine/grammar/): GBNF parsing and its errors, the matcher accepting and
// refusing texts byte by byte (UTF-8 split anywhere), and JSON Schema conversion (what conforms
// is accepted, what does not is refused, unsupported keywords are named).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/grammar/gbnf_parser.h"
#include "engine/grammar/grammar_matcher.h"
#include "engine/grammar/json_schema.h"
#include "util/error.h"

namespace trit::engine::grammar {
namespace {

using json = nlohmann::json;

std::shared_ptr<const Grammar> gbnf(const std::string& text) { return std::make_shared<Grammar>(parse_gbnf(text)); }

// Whether the whole text is a text of the grammar, fed one byte at a time.
bool matches(const std::shared_ptr<const Grammar>& g, const std::string& text) {
  GrammarMatcher m(g);
  for (char c : text)
    if (!m.accept(std::string(1, c))) return false;
  return m.can_end();
}

std::string error_of(const std::string& text) {
  try {
    parse_gbnf(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GbnfParser, LiteralsClassesAndRepetition) {
  auto g = gbnf(R"(
    # a comment
    root ::= "a" b* [x-z]+ ("!" | "?")? num{2,3} tail
    b    ::= "b"      # another
    num  ::= [0-9]
    tail ::= "\x41" "\u00e9" [^\n] | "\"")");
  EXPECT_TRUE(matches(g, "ax12Aé."));
  EXPECT_TRUE(matches(g, "abbbyz!123\""));
  EXPECT_FALSE(matches(g, "a12A\xc3\xa9."));    // [x-z]+ needs one
  EXPECT_FALSE(matches(g, "ax1234\""));         // {2,3}
  EXPECT_FALSE(matches(g, "ax12A\xc3\xa9\n"));  // [^\n]
  EXPECT_FALSE(matches(g, "ax12"));             // unfinished
}

TEST(GbnfParser, RuleContinuesInsideParenthesesAndAfterBar) {
  auto g = gbnf("root ::= (\n  \"a\"\n  \"b\"\n) |\n  \"c\"\nother ::= \"d\"\n");
  EXPECT_TRUE(matches(g, "ab"));
  EXPECT_TRUE(matches(g, "c"));
  EXPECT_FALSE(matches(g, "d"));
}

TEST(GbnfParser, ExactAndOpenRepetition) {
  auto g = gbnf(R"(root ::= "x"{3} "y"{2,})");
  EXPECT_TRUE(matches(g, "xxxyy"));
  EXPECT_TRUE(matches(g, "xxxyyyyy"));
  EXPECT_FALSE(matches(g, "xxyy"));
  EXPECT_FALSE(matches(g, "xxxy"));
}

TEST(GbnfParser, ErrorsNameLineAndColumn) {
  EXPECT_NE(error_of("rot ::= \"a\"").find("no 'root' rule"), std::string::npos);
  EXPECT_NE(error_of("root ::= foo").find("line 1 col 10: rule 'foo' is used but not defined"), std::string::npos)
      << error_of("root ::= foo");
  EXPECT_NE(error_of("root ::= \"a\"\nroot ::= \"b\"").find("line 2 col 1: rule 'root' is defined twice"),
            std::string::npos);
  EXPECT_NE(error_of("root ::= \"abc").find("line 1 col 10: unterminated literal"), std::string::npos);
  EXPECT_NE(error_of("root ::= [a-").find("unterminated character class"), std::string::npos);
  EXPECT_NE(error_of("root ::= (\"a\"").find("'(' is not closed"), std::string::npos);
  EXPECT_NE(error_of("root ::= * \"a\"").find("line 1 col 10: '*' repeats nothing"), std::string::npos);
  EXPECT_NE(error_of("root \"a\"").find("expected '::='"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\"{3,1}").find("n < m"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"\\q\"").find("unknown escape"), std::string::npos);
  EXPECT_NE(error_of("root ::= [z-a]").find("range end below"), std::string::npos);
  EXPECT_NE(error_of("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\"").find("'expr' is left-recursive"),
            std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\" )").find("line 1 col 14: unexpected ')'"), std::string::npos);
}

TEST(GrammarMatcher, UTF8SplitAcrossTokensAndAllows) {
  auto g = gbnf(R"(root ::= [α-ω]+ "!")");
  GrammarMatcher m(g);
  const std::string beta = "\xce\xb2";
  EXPECT_TRUE(m.accept(beta.substr(0, 1)));
  EXPECT_FALSE(m.can_end());
  EXPECT_TRUE(m.accept(beta.substr(1) + "\xce"));
  EXPECT_FALSE(m.accept("\x80"));  // U+0380 is not in α-ω; the state stays
  EXPECT_TRUE(m.accept("\xb3"));   // γ
  EXPECT_TRUE(m.allows('!'));
  EXPECT_FALSE(m.allows('a'));
  EXPECT_FALSE(m.accept("\xe4"));  // no CJK character can follow
  EXPECT_TRUE(m.accept("!"));
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.allows('!'));
  m.reset();
  EXPECT_FALSE(m.can_end());
  EXPECT_TRUE(m.allows(U'δ'));
}

TEST(GrammarMatcher, AmbiguityKeepsEveryParse) {
  auto g = gbnf(R"(root ::= ("a" | "ab") "b" "c"?)");
  EXPECT_TRUE(matches(g, "ab"));
  EXPECT_TRUE(matches(g, "abb"));
  EXPECT_TRUE(matches(g, "abbc"));
  EXPECT_TRUE(matches(g, "abc"));
  EXPECT_FALSE(matches(g, "abbb"));
}

std::shared_ptr<const Grammar> schema(const json& s) { return gbnf(json_schema_to_gbnf(s)); }

std::string schema_error(const json& s) {
  try {
    json_schema_to_gbnf(s);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonSchema, ObjectWithRequiredAndOptional) {
  auto g = schema(json::parse(R"({
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 5}, "age": {"type": "integer"},
                   "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1, "maxItems": 2},
                   "ok": {"type": ["boolean", "null"]}},
    "required": ["name", "age"], "additionalProperties": false})"));
  EXPECT_TRUE(matches(g, R"({"age": 42, "name": "Bob"})"));
  EXPECT_TRUE(matches(g, R"({"age":-1,"name":"","ok":null,"tags":["a","b"]})"));
  EXPECT_TRUE(matches(g, "{\n  \"age\": 0,\n  \"name\": \"\\u00e9\",\n  \"ok\": true\n}"));
  EXPECT_FALSE(matches(g, R"({"name": "Bob"})"));               // age required (and first: keys go in order)
  EXPECT_FALSE(matches(g, R"({"age": 1, "name": "Bobbie"})"));  // maxLength
  EXPECT_FALSE(matches(g, R"({"age": 1.5, "name": "B"})"));     // integer
  EXPECT_FALSE(matches(g, R"({"age": 1, "name": "B", "tags": []})"));
  EXPECT_FALSE(matches(g, R"({"age": 1, "name": "B", "tags": ["a","b","a"]})"));
  EXPECT_FALSE(matches(g, R"({"age": 1, "name": "B", "x": 1})"));  // no additional properties
  EXPECT_FALSE(matches(g, R"({"age": 01, "name": "B"})"));
}

TEST(JsonSchema, OptionalOnlyAnyOfRefsAndConst) {
  auto g = schema(json::parse(R"({
    "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
    "type": "object",
    "properties": {"a": {"$ref": "#/$defs/point"}, "b": {"anyOf": [{"const": 1}, {"type": "string"}]},
                   "c": {"prefixItems": [{"type": "integer"}, {"type": "boolean"}]}}})"));
  EXPECT_TRUE(matches(g, "{}"));
  EXPECT_TRUE(matches(g, R"({"b": 1})"));
  EXPECT_TRUE(matches(g, R"({"b": "x", "c": [3, false]})"));
  EXPECT_TRUE(matches(g, R"({"a": {"y": 2.5e-3}, "c": [1, true]})"));
  EXPECT_FALSE(matches(g, R"({"b": 2})"));
  EXPECT_FALSE(matches(g, R"({"c": [1]})"));
  EXPECT_FALSE(matches(g, R"({"a": {"z": 1}})"));
  EXPECT_FALSE(matches(g, R"({"c": [1, true], "a": {}})"));  // properties in key order
}

TEST(JsonSchema, RecursionAllOfAdditionalAndJsonObject) {
  auto tree = schema(json::parse(R"({"definitions": {"node": {"type": "object",
      "properties": {"kids": {"type": "array", "items": {"$ref": "#/definitions/node"}}}, "required": ["kids"]}},
      "$ref": "#/definitions/node"})"));
  EXPECT_TRUE(matches(tree, R"({"kids": [{"kids": []}, {"kids": [{"kids": []}]}]})"));
  EXPECT_FALSE(matches(tree, R"({"kids": [{}]})"));

  auto merged = schema(json::parse(R"({"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}},
      "required": ["a"]}, {"properties": {"b": {"type": "null"}}, "required": ["b"]}]})"));
  EXPECT_TRUE(matches(merged, R"({"a": 1, "b": null})"));
  EXPECT_FALSE(matches(merged, R"({"a": 1})"));

  auto dict = schema(json::parse(R"({"type": "object", "additionalProperties": {"type": "integer"}})"));
  EXPECT_TRUE(matches(dict, R"({"x": 1, "y": 2})"));
  EXPECT_FALSE(matches(dict, R"({"x": "1"})"));

  auto any = gbnf(json_object_gbnf());
  EXPECT_TRUE(matches(any, R"({"a": [1, {"b": null}, "c", true, -2.5E+10]})"));
  EXPECT_FALSE(matches(any, R"([1])"));
  EXPECT_FALSE(matches(any, R"({"a": })"));
}

TEST(JsonSchema, UnsupportedKeywordsAreNamed) {
  EXPECT_NE(schema_error(json::parse(R"({"type": "string", "pattern": "^a"})")).find("keyword 'pattern' (at /pattern)"),
            std::string::npos);
  EXPECT_NE(schema_error(json::parse(R"({"properties": {"n": {"type": "number", "minimum": 0}}})"))
                .find("'minimum' (at /properties/n/minimum)"),
            std::string::npos);
  EXPECT_NE(schema_error(json::parse(R"({"type": "sound"})")).find("'sound' is unknown"), std::string::npos);
  EXPECT_NE(schema_error(json::parse(R"({"$ref": "#/$defs/missing"})")).find("does not point"), std::string::npos);
  EXPECT_NE(schema_error(json::parse(R"({"type": "object", "required": ["x"]})")).find("names 'x'"), std::string::npos);
  EXPECT_EQ(schema_error(json::parse(R"({"title": "t", "description": "d", "type": "integer"})")), "");
}

}  // namespace
}  // namespace trit::engine::grammar
