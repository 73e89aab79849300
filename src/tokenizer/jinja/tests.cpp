// Jinja2's tests ("x is defined", "x is divisibleby 3"), with its Python semantics: a bool is a
// number, an undefined value is iterable and a sequence (it has len() and __getitem__).
#include <algorithm>
#include <cmath>
#include <utf8proc.h>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/integers.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {
namespace {

constexpr std::string_view kTests[] = {
    "defined", "undefined", "none", "boolean", "false", "true", "integer", "float", "number", "string",
    "mapping", "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne",
    "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper",
    "sameas", "escaped"};

const Value& arg(const Args& a, const std::string& name) {
  if (a.positional.empty()) fail("test '", name, "' needs an argument");
  return a.positional[0];
}

int64_t integer_of(const Value& v, const std::string& name) {
  if (v.kind == Value::Kind::integer) return v.integer;
  if (v.kind == Value::Kind::boolean) return v.boolean;
  if (v.kind == Value::Kind::floating && v.floating == std::floor(v.floating)) return int_of_double(v.floating);
  fail("test '", name, "' needs a number, got ", type_name(v));
}

bool contains(const Value& container, const Value& item);

}  // namespace

bool is_test(const std::string& name) { return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests); }

bool apply_test(const std::string& n, const Value& v, const Args& a, const Builtins&) {
  using K = Value::Kind;
  if (n == "defined") return !v.is_undefined();
  if (n == "undefined") return v.is_undefined();
  if (n == "none") return v.kind == K::none;
  if (n == "boolean") return v.kind == K::boolean;
  if (n == "false") return v.kind == K::boolean && !v.boolean;
  if (n == "true") return v.kind == K::boolean && v.boolean;
  if (n == "integer") return v.kind == K::integer;
  if (n == "float") return v.kind == K::floating;
  if (n == "number") return v.is_number();
  if (n == "string") return v.is_string();
  if (n == "mapping") return v.kind == K::dict;
  if (n == "iterable") return v.kind == K::list || v.kind == K::dict || v.kind == K::string || v.kind == K::undefined;
  if (n == "sequence") return v.kind == K::list || v.kind == K::dict || v.kind == K::string || v.kind == K::undefined;
  if (n == "callable") return v.is_callable();
  if (n == "odd") return integer_of(v, n) % 2 != 0;
  if (n == "even") return integer_of(v, n) % 2 == 0;
  if (n == "divisibleby") {
    const int64_t d = integer_of(arg(a, n), n);
    if (d == 0) fail("integer division or modulo by zero");
    return floor_mod(integer_of(v, n), d) == 0;
  }
  if (n == "eq" || n == "equalto" || n == "==") return equals(v, arg(a, n));
  if (n == "ne" || n == "!=") return !equals(v, arg(a, n));
  if (n == "lt" || n == "lessthan" || n == "<") return less(v, arg(a, n));
  if (n == "le" || n == "<=") return !less(arg(a, n), v);
  if (n == "gt" || n == "greaterthan" || n == ">") return less(arg(a, n), v);
  if (n == "ge" || n == ">=") return !less(v, arg(a, n));
  if (n == "in") return contains(arg(a, n), v);
  if (n == "lower" || n == "upper") {
    if (!v.is_string()) fail("test '", n, "' needs a string");
    bool cased = false;
    for (const Value& c : iterate(v)) {
      size_t len;
      const auto cp = int32_t(decode_char(c.text.bytes, 0, &len));
      const bool is_cased = utf8proc_toupper(cp) != cp || utf8proc_tolower(cp) != cp;
      cased |= is_cased;
      if (is_cased && (n == "lower" ? utf8proc_tolower(cp) != cp : utf8proc_toupper(cp) != cp)) return false;
    }
    return cased;
  }
  if (n == "sameas") {
    const Value& o = arg(a, n);
    if (v.kind != o.kind) return false;
    if (v.kind == K::none || v.kind == K::undefined) return true;
    if (v.kind == K::boolean) return v.boolean == o.boolean;
    if (v.kind == K::list) return v.list == o.list;
    if (v.kind == K::dict || v.kind == K::ns) return v.dict == o.dict;
    return equals(v, o);
  }
  if (n == "escaped") return false;
  fail("test '", n, "' is not supported");
}

// "item in container" with Python's rules.
bool value_in(const Value& item, const Value& container) { return contains(container, item); }

namespace {
bool contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Value::Kind::string:
      if (!item.is_string()) fail("'in <string>' requires string as left operand, not ", type_name(item));
      return container.text.bytes.find(item.text.bytes) != std::string::npos;
    case Value::Kind::list:
      return std::any_of(container.list->begin(), container.list->end(), [&](const Value& e) { return equals(e, item); });
    case Value::Kind::dict: return item.is_string() && container.dict->find(item.text.bytes) != nullptr;
    case Value::Kind::undefined: return false;
    default: fail("argument of type '", type_name(container), "' is not iterable");
  }
}
}  // namespace

}  // namespace trit::tokenizer::jinja
