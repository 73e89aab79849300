// The filters, tests and methods (str, dict) that chat templates use, with Jinja2's and
// Python's semantics. Each throws a plain trit::Error for a bad argument; the renderer adds the
// template line.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/jinja/value.h"

namespace trit::tokenizer::jinja {

struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  // The argument at `index` (counting after the input) or named `name`; null when absent.
  const Value* get(size_t index, std::string_view name) const;
  // Fails when a keyword is not one of `names` or there are more than `most` positional ones.
  void check(const char* what, size_t most, std::initializer_list<std::string_view> names) const;
};

// What the filters and tests need from the renderer: another filter or test by name (map,
// select), and an attribute lookup as the template's "." does.
struct Builtins {
  std::function<Value(const Value& object, const Value& key)> getattr;
};

bool is_filter(const std::string& name);
bool is_test(const std::string& name);
Value apply_filter(const std::string& name, const Value& input, const Args& args, const Builtins& env);
bool apply_test(const std::string& name, const Value& input, const Args& args, const Builtins& env);

// Methods: "x.startswith" is a method value; calling it runs this. Fails for a method the
// receiver's type does not have (or one the immutable sandbox forbids, like list.append).
bool has_method(const Value& receiver, const std::string& name);
Value call_method(const Value& receiver, const std::string& name, const Args& args);

// Python string operations on Text, keeping provenance.
Text strip_chars(const Text& s, const Value* chars, bool left, bool right);
Text replace_text(const Text& s, const Text& old, const Text& replacement, int64_t count);
size_t char_count(const Text& s);
// Python len(): strings count code points.
int64_t length_of(const Value& v);
// "item in container" (Python's rules: substring, list member, dict key).
bool value_in(const Value& item, const Value& container);
// The items a for loop visits: list items, dict keys, the characters of a string.
List iterate(const Value& v);

}  // namespace trit::tokenizer::jinja
