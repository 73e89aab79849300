#include "tokenizer/jinja/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {
namespace {

// Values a template builds can nest without bound ({% set x = [x] %} in a loop); walking them
// recursively stops at this depth with an error instead of overflowing the stack.
constexpr int kMaxNesting = 256;
thread_local int nesting = 0;
struct NestingGuard {
  NestingGuard() {
    if (++nesting > kMaxNesting) {
      nesting = 0;
      fail("a value is nested over ", kMaxNesting, " levels deep");
    }
  }
  ~NestingGuard() {
    if (nesting > 0) --nesting;
  }
};

}  // namespace


const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k.bytes == key) return &v;
  return nullptr;
}

void Dict::set(Text key, Value value) {
  for (auto& [k, v] : items)
    if (k.bytes == key.bytes) {
      v = std::move(value);
      return;
    }
  items.emplace_back(std::move(key), std::move(value));
}

Value Value::undefined(std::string name) {
  Value v;
  v.text = Text(std::move(name));
  return v;
}
Value Value::none() {
  Value v;
  v.kind = Kind::none;
  return v;
}
Value Value::from(bool b) {
  Value v;
  v.kind = Kind::boolean;
  v.boolean = b;
  return v;
}
Value Value::from(int64_t i) {
  Value v;
  v.kind = Kind::integer;
  v.integer = i;
  return v;
}
Value Value::from(double f) {
  Value v;
  v.kind = Kind::floating;
  v.floating = f;
  return v;
}
Value Value::from(Text t) {
  Value v;
  v.kind = Kind::string;
  v.text = std::move(t);
  return v;
}
Value Value::make_list(List items, bool tuple) {
  Value v;
  v.kind = Kind::list;
  v.list = std::make_shared<List>(std::move(items));
  v.tuple = tuple;
  return v;
}
Value Value::make_dict(Dict d) {
  Value v;
  v.kind = Kind::dict;
  v.dict = std::make_shared<Dict>(std::move(d));
  return v;
}
Value Value::function(std::string name) {
  Value v;
  v.kind = Kind::function;
  v.text = Text(std::move(name));
  return v;
}

namespace {

Text data_text(const std::string& s) { return Text::from_data(is_valid_utf8(s) ? s : repair_utf8(s)); }

}  // namespace

Value from_json(const nlohmann::ordered_json& j) {
  NestingGuard guard;
  using T = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case T::null: return Value::none();
    case T::boolean: return Value::from(j.get<bool>());
    case T::number_integer: return Value::from(j.get<int64_t>());
    case T::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      return u <= uint64_t(INT64_MAX) ? Value::from(int64_t(u)) : Value::from(double(u));
    }
    case T::number_float: return Value::from(j.get<double>());
    case T::string: return Value::from(data_text(j.get_ref<const std::string&>()));
    case T::array: {
      List items;
      for (const auto& e : j) items.push_back(from_json(e));
      return Value::make_list(std::move(items));
    }
    case T::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d.items.emplace_back(data_text(it.key()), from_json(it.value()));
      return Value::make_dict(std::move(d));
    }
    default: return Value::none();  // binary and discarded values do not occur in chat requests
  }
}

const char* type_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::undefined: return "Undefined";
    case Value::Kind::none: return "NoneType";
    case Value::Kind::boolean: return "bool";
    case Value::Kind::integer: return "int";
    case Value::Kind::floating: return "float";
    case Value::Kind::string: return "str";
    case Value::Kind::list: return v.tuple ? "tuple" : "list";
    case Value::Kind::dict: return "dict";
    case Value::Kind::ns: return "Namespace";
    case Value::Kind::macro: return "Macro";
    case Value::Kind::method: return "method";
    case Value::Kind::function: return "function";
  }
  return "?";
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::undefined:
    case Value::Kind::none: return false;
    case Value::Kind::boolean: return v.boolean;
    case Value::Kind::integer: return v.integer != 0;
    case Value::Kind::floating: return v.floating != 0;
    case Value::Kind::string: return !v.text.empty();
    case Value::Kind::list: return !v.list->empty();
    case Value::Kind::dict: return !v.dict->items.empty();
    default: return true;
  }
}

double as_double(const Value& v) {
  switch (v.kind) {
    case Value::Kind::boolean: return v.boolean;
    case Value::Kind::integer: return double(v.integer);
    case Value::Kind::floating: return v.floating;
    default: fail("expected a number, got ", type_name(v));
  }
}

std::string python_float(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  // Shortest digits that read back as f, then Python's choice of notation (repr: scientific
  // below 1e-4 and from 1e16 on).
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, f);
    if (std::strtod(buf, nullptr) == f) break;
  }
  std::string s = buf;
  const bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  const size_t e = s.find('e');
  const int exponent = std::atoi(s.c_str() + e + 1);
  std::string digits = s.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ex[16];  // "e-308" at most; sized for any int so the format cannot truncate
    std::snprintf(ex, sizeof ex, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += ex;
  } else if (exponent < 0) {
    out = "0." + std::string(size_t(-exponent - 1), '0') + digits;
  } else {
    const size_t int_digits = size_t(exponent) + 1;
    if (digits.size() <= int_digits) {
      out = digits + std::string(int_digits - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_digits) + "." + digits.substr(int_digits);
    }
  }
  return negative ? "-" + out : out;
}

namespace {

void repr_string(std::string& out, std::string_view s) {
  const bool double_quotes = s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos;
  const char q = double_quotes ? '"' : '\'';
  out += q;
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == q) out += std::string("\\") + char(q);
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += q;
}

void repr_into(std::string& out, const Value& v) {
  NestingGuard guard;
  switch (v.kind) {
    case Value::Kind::string: repr_string(out, v.text.bytes); break;
    case Value::Kind::list: {
      out += v.tuple ? '(' : '[';
      for (size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += ", ";
        repr_into(out, (*v.list)[i]);
      }
      if (v.tuple && v.list->size() == 1) out += ',';
      out += v.tuple ? ')' : ']';
      break;
    }
    case Value::Kind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.dict->items) {
        if (!first) out += ", ";
        first = false;
        repr_string(out, k.bytes);
        out += ": ";
        repr_into(out, e);
      }
      out += '}';
      break;
    }
    default: out += to_text(v).bytes;
  }
}

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);  // ensure_ascii=False: UTF-8 passes through
        }
    }
  }
  out += '"';
}

void json_into(std::string& out, const Value& v, int indent, int level) {
  NestingGuard guard;
  auto newline = [&](int at) {
    if (indent < 0) return;
    out += '\n';
    out.append(size_t(indent) * size_t(at), ' ');
  };
  const char* item_sep = indent < 0 ? ", " : ",";
  switch (v.kind) {
    case Value::Kind::none: out += "null"; break;
    case Value::Kind::boolean: out += v.boolean ? "true" : "false"; break;
    case Value::Kind::integer: out += std::to_string(v.integer); break;
    case Value::Kind::floating:
      if (std::isnan(v.floating)) out += "NaN";
      else if (std::isinf(v.floating)) out += v.floating > 0 ? "Infinity" : "-Infinity";
      else out += python_float(v.floating);
      break;
    case Value::Kind::string: json_string(out, v.text.bytes); break;
    case Value::Kind::list: {
      if (v.list->empty()) {
        out += "[]";
        break;
      }
      out += '[';
      for (size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        json_into(out, (*v.list)[i], indent, level + 1);
      }
      newline(level);
      out += ']';
      break;
    }
    case Value::Kind::dict: {
      if (v.dict->items.empty()) {
        out += "{}";
        break;
      }
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.dict->items) {
        if (!first) out += item_sep;
        first = false;
        newline(level + 1);
        json_string(out, k.bytes);
        out += ": ";
        json_into(out, e, indent, level + 1);
      }
      newline(level);
      out += '}';
      break;
    }
    default: fail("Object of type ", type_name(v), " is not JSON serializable");
  }
}

}  // namespace

Text to_text(const Value& v) {
  switch (v.kind) {
    case Value::Kind::undefined: return Text();
    case Value::Kind::none: return Text("None");
    case Value::Kind::boolean: return Text(v.boolean ? "True" : "False");
    case Value::Kind::integer: return Text(std::to_string(v.integer));
    case Value::Kind::floating: return Text(python_float(v.floating));
    case Value::Kind::string: return v.text;
    case Value::Kind::list:
    case Value::Kind::dict: {
      std::string out;
      repr_into(out, v);
      Text t(std::move(out));
      t.mark_all(has_data(v));
      return t;
    }
    case Value::Kind::ns: return Text("<Namespace>");
    default: return Text(std::string("<") + type_name(v) + ">");
  }
}

std::string repr(const Value& v) {
  std::string out;
  repr_into(out, v);
  return out;
}

bool equals(const Value& a, const Value& b) {
  NestingGuard guard;
  if (a.is_number() && b.is_number()) {
    if (a.kind == Value::Kind::floating || b.kind == Value::Kind::floating) return as_double(a) == as_double(b);
    return (a.kind == Value::Kind::boolean ? a.boolean : a.integer) ==
           (b.kind == Value::Kind::boolean ? b.boolean : b.integer);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::undefined:
    case Value::Kind::none: return true;
    case Value::Kind::string: return a.text.bytes == b.text.bytes;
    case Value::Kind::list: {
      if (a.tuple != b.tuple || a.list->size() != b.list->size()) return false;
      for (size_t i = 0; i < a.list->size(); ++i)
        if (!equals((*a.list)[i], (*b.list)[i])) return false;
      return true;
    }
    case Value::Kind::dict: {
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& [k, v] : a.dict->items) {
        const Value* other = b.dict->find(k.bytes);
        if (!other || !equals(v, *other)) return false;
      }
      return true;
    }
    case Value::Kind::ns: return a.dict == b.dict;
    default: return a.text.bytes == b.text.bytes && a.macro == b.macro;
  }
}

bool less(const Value& a, const Value& b) {
  NestingGuard guard;
  if (a.is_number() && b.is_number()) return as_double(a) < as_double(b);
  if (a.is_string() && b.is_string()) return a.text.bytes < b.text.bytes;  // UTF-8 order = code point order
  if (a.kind == Value::Kind::list && b.kind == Value::Kind::list) {
    for (size_t i = 0; i < a.list->size() && i < b.list->size(); ++i) {
      if (less((*a.list)[i], (*b.list)[i])) return true;
      if (less((*b.list)[i], (*a.list)[i])) return false;
    }
    return a.list->size() < b.list->size();
  }
  fail("'<' not supported between instances of '", type_name(a), "' and '", type_name(b), "'");
}

bool has_data(const Value& v) {
  NestingGuard guard;
  switch (v.kind) {
    case Value::Kind::string: return v.text.any_data();
    case Value::Kind::list:
      for (const auto& e : *v.list)
        if (has_data(e)) return true;
      return false;
    case Value::Kind::dict:
    case Value::Kind::ns:
      for (const auto& [k, e] : v.dict->items)
        if (k.any_data() || has_data(e)) return true;
      return false;
    default: return false;
  }
}

std::string to_json(const Value& v, int indent) {
  std::string out;
  json_into(out, v, indent, 0);
  return out;
}

}  // namespace trit::tokenizer::jinja
