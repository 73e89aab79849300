// Value: what a Jinja expression evaluates to, with Python's data model as Jinja2 sees it
// (None, bool, int, float, str, list/tuple, dict, namespace, macros and callables). Strings are
// Text, so each byte keeps its provenance. Lists and dicts are shared (Python references); the
// Hugging Face sandbox is immutable, so only namespaces are ever changed in place.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/text.h"

namespace trit::tokenizer::jinja {

struct Value;
using List = std::vector<Value>;
struct Dict {
  std::vector<std::pair<Text, Value>> items;  // insertion order, as Python's dict
  const Value* find(std::string_view key) const;
  void set(Text key, Value value);
};
struct MacroValue;  // a macro with the scope it was defined in (renderer.cpp)

struct Value {
  enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, ns, macro, method, function };
  Kind kind = Kind::undefined;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  Text text;                               // string; the name of a method, function or undefined value
  std::shared_ptr<List> list;              // list (tuple when `tuple`)
  std::shared_ptr<Dict> dict;              // dict, namespace
  std::shared_ptr<const MacroValue> macro;
  std::shared_ptr<Value> self;             // a method's receiver
  bool tuple = false;

  static Value undefined(std::string name = {});
  static Value none();
  static Value from(bool b);
  static Value from(int64_t i);
  static Value from(double f);
  static Value from(Text t);
  static Value str(std::string s) { return from(Text(std::move(s))); }
  static Value make_list(List items, bool tuple = false);
  static Value make_dict(Dict d = {});
  static Value function(std::string name);

  bool is_undefined() const { return kind == Kind::undefined; }
  bool is_string() const { return kind == Kind::string; }
  bool is_number() const { return kind == Kind::integer || kind == Kind::floating || kind == Kind::boolean; }
  bool is_mapping() const { return kind == Kind::dict; }
  bool is_sequence() const { return kind == Kind::list || kind == Kind::string || kind == Kind::dict; }
  bool is_callable() const { return kind == Kind::macro || kind == Kind::method || kind == Kind::function; }
};

// Caller data: every string (and dict key) marked as data. Invalid UTF-8 is repaired.
Value from_json(const nlohmann::ordered_json& j);

const char* type_name(const Value& v);  // Python's name: 'str', 'dict', 'NoneType', ...
bool truthy(const Value& v);
double as_double(const Value& v);  // numbers only
// str(v): what {{ v }} prints; strings keep their provenance, other values are template text
// unless they hold data (a list printed as its repr).
Text to_text(const Value& v);
std::string repr(const Value& v);
bool equals(const Value& a, const Value& b);
// a < b with Python's rules; throws trit::Error (the caller adds the line) for unorderable types.
bool less(const Value& a, const Value& b);
// True when any string or key inside came from data.
bool has_data(const Value& v);
// json.dumps(v, ensure_ascii=False, indent=indent) (indent < 0: none), as HF's tojson filter.
std::string to_json(const Value& v, int indent);
// Python's repr of a float ("1.0", "1e-05", "inf").
std::string python_float(double f);

}  // namespace trit::tokenizer::jinja
