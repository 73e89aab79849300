#include "engine/grammar/json_schema.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "util/error.h"

namespace trit::engine::grammar {
namespace {

using json = nlohmann::json;

// The primitives every grammar gets. A value takes no whitespace around it; containers allow
// it inside (so the text ends right after the top-level value).
constexpr std::pair<const char*, const char*> kPrimitives[] = {
    {"ws", R"(| " " | "\n" [ \t]{0,20})"},
    {"char", R"([^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}))"},
    {"string", R"("\"" char* "\"")"},
    {"integer", R"("-"? ("0" | [1-9] [0-9]{0,15}))"},
    {"number", R"("-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?)"},
    {"boolean", R"("true" | "false")"},
    {"null", R"("null")"},
    {"value", R"(object | array | string | number | boolean | null)"},
    {"object", R"("{" ws (string ws ":" ws value ws ("," ws string ws ":" ws value ws)*)? "}")"},
    {"array", R"("[" ws (value ws ("," ws value ws)*)? "]")"},
};

const std::set<std::string>& annotations() {
  static const std::set<std::string> k = {"title", "description", "default", "examples", "$schema",
                                          "$id", "$comment", "deprecated", "readOnly", "writeOnly"};
  return k;
}

const std::set<std::string>& supported() {
  static const std::set<std::string> k = {"type", "properties", "required", "additionalProperties", "enum",
                                          "const", "items", "prefixItems", "minItems", "maxItems",
                                          "minLength", "maxLength", "anyOf", "oneOf", "allOf", "$ref",
                                          "$defs", "definitions"};
  return k;
}

std::string at(const std::string& path) { return path.empty() ? "/" : path; }

[[noreturn]] void unsupported(const std::string& keyword, const std::string& path) {
  fail("JSON Schema keyword '", keyword, "' (at ", at(path), ") is not supported");
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '-';
  return out.empty() ? "x" : out;
}

int64_t count(const json& schema, const char* key, int64_t fallback, const std::string& path) {
  auto it = schema.find(key);
  if (it == schema.end()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    fail("JSON Schema keyword '", key, "' (at ", at(path), ") must be a non-negative integer");
  return it->get<int64_t>();
}

// "{m,n}" for GBNF; n < 0 is unbounded.
std::string bounds(int64_t min, int64_t max) {
  return "{" + std::to_string(min) + "," + (max < 0 ? "" : std::to_string(max)) + "}";
}

}  // namespace

std::string gbnf_literal(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

SchemaConverter::SchemaConverter() {
  for (const auto& [name, body] : kPrimitives) add_rule(name, body);
}

std::string SchemaConverter::add_rule(const std::string& name_hint, const std::string& body) {
  std::string name = sanitize(name_hint);
  for (int n = 1;; ++n) {
    auto it = rule_index_.find(name);
    if (it == rule_index_.end()) break;
    if (rules_[it->second].second == body) return name;  // the same rule already exists
    name = sanitize(name_hint) + "-" + std::to_string(n);
  }
  rule_index_[name] = rules_.size();
  rules_.emplace_back(name, body);
  return name;
}

std::string SchemaConverter::gbnf() const {
  std::string out;
  for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
  return out;
}

std::string SchemaConverter::add_schema(const json& schema, const std::string& name_hint) {
  document_ = &schema;
  ++document_id_;
  return visit(schema, name_hint, "");
}

std::string SchemaConverter::visit(const json& schema, const std::string& name, const std::string& path) {
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) fail("JSON Schema 'false' (at ", at(path), ") allows no value");
    return "value";
  }
  if (!schema.is_object()) fail("JSON Schema (at ", at(path), ") must be an object or a boolean");
  for (const auto& [key, _] : schema.items())
    if (!supported().count(key) && !annotations().count(key)) unsupported(key, path + "/" + key);

  if (auto ref = schema.find("$ref"); ref != schema.end()) {
    if (!ref->is_string()) fail("JSON Schema '$ref' (at ", at(path), ") must be a string");
    return visit_ref(ref->get<std::string>(), path);
  }
  if (auto c = schema.find("const"); c != schema.end()) return add_rule(name, gbnf_literal(c->dump()));
  if (auto e = schema.find("enum"); e != schema.end()) {
    if (!e->is_array() || e->empty()) fail("JSON Schema 'enum' (at ", at(path), ") must be a non-empty array");
    std::string body;
    for (const json& v : *e) body += (body.empty() ? "" : " | ") + gbnf_literal(v.dump());
    return add_rule(name, body);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (auto any = schema.find(key); any != schema.end()) {
      if (!any->is_array() || any->empty())
        fail("JSON Schema '", key, "' (at ", at(path), ") must be a non-empty array");
      std::string body;
      for (size_t i = 0; i < any->size(); ++i)
        body += (body.empty() ? "" : " | ") +
                visit((*any)[i], name + "-" + std::to_string(i), path + "/" + key + "/" + std::to_string(i));
      return add_rule(name, body);
    }
  }
  if (auto all = schema.find("allOf"); all != schema.end()) return visit(merge_all_of(*all, path), name, path);

  auto type = schema.find("type");
  if (type != schema.end() && type->is_array()) {
    if (type->empty()) fail("JSON Schema 'type' (at ", at(path), ") is an empty array");
    std::string body;
    for (const json& t : *type) {
      json one = schema;
      one["type"] = t;
      body += (body.empty() ? "" : " | ") + visit(one, name + "-" + (t.is_string() ? t.get<std::string>() : "t"), path);
    }
    return add_rule(name, body);
  }
  std::string t;
  if (type != schema.end()) {
    if (!type->is_string()) fail("JSON Schema 'type' (at ", at(path), ") must be a string or an array of strings");
    t = type->get<std::string>();
  } else if (schema.contains("properties") || schema.contains("additionalProperties")) {
    t = "object";
  } else if (schema.contains("items") || schema.contains("prefixItems")) {
    t = "array";
  } else if (schema.contains("minLength") || schema.contains("maxLength")) {
    t = "string";
  }
  if (t.empty()) return "value";
  if (t == "object") return visit_object(schema, name, path);
  if (t == "array") return visit_array(schema, name, path);
  if (t == "string") return visit_string(schema, name, path);
  if (t == "number" || t == "integer" || t == "boolean" || t == "null") return t;
  fail("JSON Schema 'type' (at ", at(path), ") '", t, "' is unknown");
}

std::string SchemaConverter::visit_string(const json& schema, const std::string& name, const std::string& path) {
  const int64_t min = count(schema, "minLength", 0, path);
  const int64_t max = count(schema, "maxLength", -1, path);
  if (min == 0 && max < 0) return "string";
  if (max >= 0 && max < min) fail("JSON Schema (at ", at(path), ") has maxLength below minLength");
  return add_rule(name, "\"\\\"\" char" + bounds(min, max) + " \"\\\"\"");
}

std::string SchemaConverter::visit_array(const json& schema, const std::string& name, const std::string& path) {
  const int64_t min = count(schema, "minItems", 0, path);
  const int64_t max = count(schema, "maxItems", -1, path);
  if (max >= 0 && max < min) fail("JSON Schema (at ", at(path), ") has maxItems below minItems");
  auto items = schema.find("items");
  const bool no_items = items != schema.end() && items->is_boolean() && !items->get<bool>();
  if (auto prefix = schema.find("prefixItems"); prefix != schema.end()) {
    if (!prefix->is_array()) fail("JSON Schema 'prefixItems' (at ", at(path), ") must be an array");
    std::string body = "\"[\" ws";
    for (size_t i = 0; i < prefix->size(); ++i) {
      if (i > 0) body += " \",\" ws";
      body += " " + visit((*prefix)[i], name + "-" + std::to_string(i), path + "/prefixItems/" + std::to_string(i)) + " ws";
    }
    // Beyond the tuple only what `items` allows (nothing when it is absent: still conforming).
    if (items != schema.end() && !no_items) {
      const std::string item = visit(*items, name + "-item", path + "/items");
      body += prefix->empty() ? " (" + item + " ws (\",\" ws " + item + " ws)*)?" : " (\",\" ws " + item + " ws)*";
    }
    return add_rule(name, body + " \"]\"");
  }
  if (no_items || max == 0) return add_rule(name, "\"[\" ws \"]\"");
  const std::string item = items == schema.end() ? "value" : visit(*items, name + "-item", path + "/items");
  const std::string more = "(\",\" ws " + item + " ws)";
  if (min == 0) {
    const std::string tail = max < 0 ? more + "*" : more + bounds(0, max - 1);
    return add_rule(name, "\"[\" ws (" + item + " ws " + tail + ")? \"]\"");
  }
  return add_rule(name, "\"[\" ws " + item + " ws " + more + bounds(min - 1, max < 0 ? -1 : max - 1) + " \"]\"");
}

std::string SchemaConverter::visit_object(const json& schema, const std::string& name, const std::string& path) {
  std::set<std::string> required;
  if (auto r = schema.find("required"); r != schema.end()) {
    if (!r->is_array()) fail("JSON Schema 'required' (at ", at(path), ") must be an array of names");
    for (const json& n : *r) {
      if (!n.is_string()) fail("JSON Schema 'required' (at ", at(path), ") must be an array of names");
      required.insert(n.get<std::string>());
    }
  }
  // key-value rules in the order of `properties`, required first among equals.
  std::vector<std::string> must, may;
  const json* props = nullptr;
  if (auto p = schema.find("properties"); p != schema.end()) {
    if (!p->is_object()) fail("JSON Schema 'properties' (at ", at(path), ") must be an object");
    props = &*p;
    for (const auto& [key, sub] : p->items()) {
      const std::string value = visit(sub, name + "-" + key, path + "/properties/" + key);
      const std::string kv = add_rule(name + "-" + key + "-kv", gbnf_literal(json(key).dump()) + " ws \":\" ws " + value + " ws");
      (required.count(key) ? must : may).push_back(kv);
    }
  }
  for (const std::string& r : required)
    if (!props || !props->contains(r))
      fail("JSON Schema 'required' (at ", at(path), ") names '", r, "', which is not in 'properties'");

  std::string additional;  // rule for one extra key-value pair, empty when none are allowed
  auto ap = schema.find("additionalProperties");
  if (ap == schema.end()) {
    if (!props) additional = add_rule("additional-kv", "string ws \":\" ws value ws");
  } else if (ap->is_boolean()) {
    if (ap->get<bool>()) additional = add_rule("additional-kv", "string ws \":\" ws value ws");
  } else {
    const std::string value = visit(*ap, name + "-additional", path + "/additionalProperties");
    additional = add_rule(name + "-additional-kv", "string ws \":\" ws " + value + " ws");
  }
  const std::string extra_tail = additional.empty() ? "" : " (\",\" ws " + additional + ")*";

  std::string body = "\"{\" ws";
  if (!must.empty()) {
    for (size_t i = 0; i < must.size(); ++i) body += (i ? " \",\" ws " : " ") + must[i];
    for (const std::string& kv : may) body += " (\",\" ws " + kv + ")?";
    body += extra_tail;
  } else if (!may.empty() || !additional.empty()) {
    // No required key: the first pair present may be any of them, in order, each followed by
    // the ones after it optionally. first[i] ::= kv[i] rest(i+1) | first[i+1]
    std::string next_first = additional.empty() ? "" : add_rule(name + "-first-extra", additional + extra_tail);
    for (size_t i = may.size(); i-- > 0;) {
      std::string rest;
      for (size_t j = i + 1; j < may.size(); ++j) rest += " (\",\" ws " + may[j] + ")?";
      std::string alt = may[i] + rest + extra_tail;
      if (!next_first.empty()) alt += " | " + next_first;
      next_first = add_rule(name + "-first-" + std::to_string(i), alt);
    }
    body += " " + next_first + "?";
  }
  return add_rule(name, body + " \"}\"");
}

std::string SchemaConverter::visit_ref(const std::string& ref, const std::string& path) {
  const std::string key = std::to_string(document_id_) + ref;
  if (auto it = ref_rules_.find(key); it != ref_rules_.end()) return it->second;
  const json* target = nullptr;
  if (ref == "#") {
    target = document_;
  } else if (ref.rfind("#/", 0) == 0) {
    try {
      target = &document_->at(json::json_pointer(ref.substr(1)));
    } catch (const json::exception&) {
      target = nullptr;
    }
  }
  if (!target) fail("JSON Schema '$ref' (at ", at(path), ") '", ref, "' does not point into this schema");
  // Named before its body is built, so a recursive schema refers to itself.
  const std::string name = sanitize("ref" + ref.substr(1));
  std::string unique = name;
  for (int n = 1; rule_index_.count(unique); ++n) unique = name + "-" + std::to_string(n);
  rule_index_[unique] = rules_.size();
  rules_.emplace_back(unique, "");
  ref_rules_[key] = unique;
  const std::string body = visit(*target, unique + "-value", ref.substr(1));
  rules_[rule_index_[unique]].second = body;
  return unique;
}

json SchemaConverter::merge_all_of(const json& all_of, const std::string& path) {
  if (!all_of.is_array() || all_of.empty()) fail("JSON Schema 'allOf' (at ", at(path), ") must be a non-empty array");
  json merged = {{"type", "object"}, {"properties", json::object()}, {"required", json::array()}};
  for (size_t i = 0; i < all_of.size(); ++i) {
    const json* part = &all_of[i];
    for (int hops = 0; part->is_object() && part->contains("$ref") && hops < 32; ++hops) {
      const std::string ref = (*part)["$ref"].get<std::string>();
      if (ref.rfind("#/", 0) != 0 || !document_->contains(json::json_pointer(ref.substr(1))))
        fail("JSON Schema '$ref' in allOf (at ", at(path), ") '", ref, "' does not point into this schema");
      part = &document_->at(json::json_pointer(ref.substr(1)));
    }
    const bool object = part->is_object() && (part->value("type", "object") == "object") &&
                        !part->contains("anyOf") && !part->contains("oneOf") && !part->contains("allOf");
    if (!object) fail("JSON Schema 'allOf' (at ", at(path), ") is supported only for object schemas");
    if (auto p = part->find("properties"); p != part->end() && p->is_object())
      for (const auto& [k, v] : p->items()) merged["properties"][k] = v;
    if (auto r = part->find("required"); r != part->end() && r->is_array())
      for (const json& n : *r) merged["required"].push_back(n);
    if (auto a = part->find("additionalProperties"); a != part->end()) merged["additionalProperties"] = *a;
  }
  return merged;
}

std::string json_schema_to_gbnf(const json& schema, bool leading_space) {
  SchemaConverter conv;
  const std::string value = conv.add_schema(schema, "root-value");
  conv.add_rule("root", std::string(leading_space ? "[ \\n]{0,3} " : "") + value);
  return conv.gbnf();
}

std::string json_object_gbnf(bool leading_space) {
  SchemaConverter conv;
  conv.add_rule("root", std::string(leading_space ? "[ \\n]{0,3} " : "") + "object");
  return conv.gbnf();
}

}  // namespace trit::engine::grammar
