// Jinja2's filters as chat templates use them; tojson is Hugging Face's (json.dumps with
// ensure_ascii=False, keys in order, optional indent), not Jinja2's HTML-safe one. Text built from
// data (tojson, upper, repr of a list) is data.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/integers.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {
namespace {

constexpr std::string_view kFilters[] = {
    "tojson", "trim", "length", "count", "upper", "lower", "default", "d", "join", "items", "list", "first",
    "last", "string", "int", "float", "safe", "replace", "map", "select", "reject", "selectattr",
    "rejectattr", "unique", "reverse", "sort", "capitalize", "title", "indent", "abs", "escape", "e",
    "dictsort", "min", "max", "sum", "wordcount"};

bool flag(const Value* v) { return v && truthy(*v); }

Value str_call(const Value& input, const char* method, const Args& args) { return call_method(input, method, args); }

Value need_string(const Value& v, const char* filter) {
  if (v.is_string()) return v;
  if (v.is_undefined()) return Value::str("");
  return Value::from(to_text(v));  // Jinja's filters call str() on their input
  (void)filter;
}

// Sort key for sort/unique: strings lower-cased unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return call_method(v, "lower", {});
  return v;
}

// select/reject/selectattr/rejectattr: the test and its arguments follow the first `skip`
// positional arguments.
List select_items(const Value& input, const Args& a, size_t skip, bool keep, const Builtins& env) {
  List out;
  const Value* attr = skip ? a.get(0, "attribute") : nullptr;
  if (skip && (!attr || !attr->is_string())) fail("selectattr/rejectattr need an attribute name");
  std::string test;
  Args test_args;
  if (a.positional.size() > skip) {
    if (!a.positional[skip].is_string()) fail("the test name must be a string");
    test = a.positional[skip].text.bytes;
    if (!is_test(test)) fail("test '", test, "' is not supported");
    test_args.positional.assign(a.positional.begin() + long(skip) + 1, a.positional.end());
  }
  for (const Value& item : iterate(input)) {
    const Value subject = attr ? env.getattr(item, *attr) : item;
    const bool pass = test.empty() ? truthy(subject) : apply_test(test, subject, test_args, env);
    if (pass == keep) out.push_back(item);
  }
  return out;
}

Value attribute_of(const Value& item, const Value& attr, const Builtins& env) {
  // "a.b" walks attributes; digits index lists, as Jinja2's make_attrgetter does.
  Value cur = item;
  const std::string& path = attr.text.bytes;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t dot = path.find('.', begin);
    if (dot == std::string::npos) dot = path.size();
    const std::string part = path.substr(begin, dot - begin);
    Value key = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit) ? Value::from(parse_int(part))
                                                                                  : Value::str(part);
    cur = env.getattr(cur, key);
    begin = dot + 1;
  }
  return cur;
}

}  // namespace

bool is_filter(const std::string& name) {
  return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

Value apply_filter(const std::string& n, const Value& v, const Args& a, const Builtins& env) {
  using K = Value::Kind;
  if (n == "tojson") {
    a.check("tojson", 1, {"indent", "ensure_ascii", "separators", "sort_keys"});
    for (const char* unsupported : {"separators", "sort_keys"})
      if (flag(a.get(99, unsupported))) fail("tojson's ", unsupported, " argument is not supported");
    if (const Value* ea = a.get(99, "ensure_ascii"); ea && truthy(*ea)) fail("tojson's ensure_ascii=True is not supported");
    const Value* indent = a.get(0, "indent");
    int width = -1;
    if (indent && indent->kind == K::integer) width = int(std::clamp<int64_t>(indent->integer, 0, 64));
    else if (indent && indent->kind != K::none) fail("tojson's indent must be an integer");
    Text out(to_json(v, width));
    out.mark_all(has_data(v));
    return Value::from(out);
  }
  if (n == "trim") return Value::from(strip_chars(need_string(v, "trim").text, a.get(0, "chars"), true, true));
  if (n == "length" || n == "count") return Value::from(length_of(v));
  if (n == "upper" || n == "lower" || n == "capitalize") return str_call(need_string(v, n.c_str()), n.c_str(), {});
  if (n == "title") {
    // Jinja2's title: words begin after "-", whitespace, "(", "{", "[" or "<".
    const Value s = need_string(v, "title");
    Text out;
    const std::string& b = s.text.bytes;
    size_t i = 0;
    while (i < b.size()) {
      size_t e = i;
      const bool sep = std::string_view("-({[< \t\n\r\v\f").find(b[i]) != std::string_view::npos;
      while (e < b.size() && (std::string_view("-({[< \t\n\r\v\f").find(b[e]) != std::string_view::npos) == sep) ++e;
      Value word = Value::from(s.text.slice(i, e));
      out.append(sep ? word.text : call_method(word, "capitalize", {}).text);
      i = e;
    }
    return Value::from(out);
  }
  if (n == "default" || n == "d") {
    a.check("default", 2, {"default_value", "boolean"});
    const Value* dflt = a.get(0, "default_value");
    const bool use = flag(a.get(1, "boolean")) ? !truthy(v) : v.is_undefined();
    return use ? (dflt ? *dflt : Value::str("")) : v;
  }
  if (n == "join") {
    a.check("join", 2, {"d", "attribute"});
    const Value* sep = a.get(0, "d");
    const Value* attr = a.get(1, "attribute");
    Text out;
    bool first = true;
    for (const Value& item : iterate(v)) {
      if (!first && sep) out.append(to_text(*sep));
      first = false;
      out.append(to_text(attr ? attribute_of(item, *attr, env) : item));
    }
    return Value::from(out);
  }
  if (n == "items") {
    if (v.is_undefined()) return Value::make_list({});
    if (v.kind != K::dict) fail("can only get item pairs from a mapping, not ", type_name(v));
    return call_method(v, "items", {});
  }
  if (n == "list") return Value::make_list(iterate(v));
  if (n == "first" || n == "last") {
    List items = iterate(v);
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return n == "first" ? items.front() : items.back();
  }
  if (n == "string") return Value::from(to_text(v));
  if (n == "safe") return v;
  if (n == "escape" || n == "e") {
    const Text s = to_text(v);
    Text out;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s.bytes[i];
      const char* rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&#34;" : c == '\'' ? "&#39;" : nullptr;
      Text piece = rep ? Text(rep) : s.slice(i, i + 1);
      if (rep) piece.mark_all(s.is_data(i));
      out.append(piece);
    }
    return Value::from(out);
  }
  if (n == "int" || n == "float") {
    const Value* dflt = a.get(0, "default");
    const Value fallback = dflt ? *dflt : (n == "int" ? Value::from(int64_t(0)) : Value::from(0.0));
    double d;
    if (v.is_number()) d = as_double(v);
    else if (v.is_string()) {
      const std::string& s = v.text.bytes;
      char* end = nullptr;
      d = std::strtod(s.c_str(), &end);
      if (s.empty() || end == s.c_str()) return fallback;
      while (*end == ' ' || *end == '\t' || *end == '\n') ++end;
      if (*end) return fallback;
    } else {
      return fallback;
    }
    if (n == "float") return Value::from(d);
    if (v.kind == K::integer) return v;
    if (!std::isfinite(d)) return fallback;
    return Value::from(int_of_double(d));
  }
  if (n == "replace") {
    a.check("replace", 3, {"old", "new", "count"});
    const Value* old = a.get(0, "old");
    const Value* rep = a.get(1, "new");
    const Value* count = a.get(2, "count");
    if (!old || !rep) fail("replace needs old and new strings");
    return Value::from(replace_text(need_string(v, "replace").text, to_text(*old), to_text(*rep),
                                    count && count->kind == K::integer ? count->integer : -1));
  }
  if (n == "map") {
    List out;
    const Value* attr = nullptr;
    for (const auto& [k, val] : a.keyword)
      if (k == "attribute") attr = &val;
    if (attr) {
      const Value* dflt = nullptr;
      for (const auto& [k, val] : a.keyword)
        if (k == "default") dflt = &val;
      for (const Value& item : iterate(v)) {
        Value r = attribute_of(item, *attr, env);
        out.push_back(r.is_undefined() && dflt ? *dflt : r);
      }
    } else {
      if (a.positional.empty() || !a.positional[0].is_string()) fail("map needs a filter name or attribute=");
      const std::string filter = a.positional[0].text.bytes;
      if (!is_filter(filter)) fail("filter '", filter, "' is not supported");
      Args rest;
      rest.positional.assign(a.positional.begin() + 1, a.positional.end());
      rest.keyword = a.keyword;
      for (const Value& item : iterate(v)) out.push_back(apply_filter(filter, item, rest, env));
    }
    return Value::make_list(std::move(out));
  }
  if (n == "select" || n == "reject") return Value::make_list(select_items(v, a, 0, n == "select", env));
  if (n == "selectattr" || n == "rejectattr") return Value::make_list(select_items(v, a, 1, n == "selectattr", env));
  if (n == "unique") {
    a.check("unique", 2, {"case_sensitive", "attribute"});
    const bool cs = flag(a.get(0, "case_sensitive"));
    const Value* attr = a.get(1, "attribute");
    List out, seen;
    for (const Value& item : iterate(v)) {
      Value key = sort_key(attr ? attribute_of(item, *attr, env) : item, cs);
      if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
      seen.push_back(key);
      out.push_back(item);
    }
    return Value::make_list(std::move(out));
  }
  if (n == "reverse") {
    if (v.is_string()) {
      List chars = iterate(v);
      Text out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out.append(it->text);
      return Value::from(out);
    }
    List items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (n == "sort" || n == "dictsort" || n == "min" || n == "max") {
    const bool dictsort = n == "dictsort";
    a.check(n.c_str(), 3, {"reverse", "case_sensitive", "attribute", "by"});
    const bool reverse = n == "sort" && flag(a.get(0, "reverse"));
    const bool cs = flag(a.get(n == "sort" ? 1 : 0, "case_sensitive"));
    const Value* attr = n == "sort" ? a.get(2, "attribute") : n == "dictsort" ? nullptr : a.get(1, "attribute");
    if (dictsort && v.kind != K::dict) fail("dictsort needs a mapping");
    List items = dictsort ? *call_method(v, "items", {}).list : iterate(v);
    const bool by_value = dictsort && a.get(1, "by") && a.get(1, "by")->is_string() && a.get(1, "by")->text.bytes == "value";
    auto key = [&](const Value& item) {
      if (dictsort) return sort_key((*item.list)[by_value ? 1 : 0], cs);
      return sort_key(attr ? attribute_of(item, *attr, env) : item, cs);
    };
    if (n == "min" || n == "max") {
      if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
      size_t best = 0;
      for (size_t i = 1; i < items.size(); ++i)
        if (n == "min" ? less(key(items[i]), key(items[best])) : less(key(items[best]), key(items[i]))) best = i;
      return items[best];
    }
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
      return reverse ? less(key(y), key(x)) : less(key(x), key(y));
    });
    return Value::make_list(std::move(items));
  }
  if (n == "sum") {
    a.check("sum", 2, {"attribute", "start"});
    const Value* attr = a.get(0, "attribute");
    const Value* start = a.get(1, "start");
    bool is_float = start && start->kind == K::floating;
    double f = start ? as_double(*start) : 0;
    int64_t i = start && !is_float ? (start->kind == K::boolean ? int64_t(start->boolean) : start->integer) : 0;
    for (const Value& item : iterate(v)) {
      const Value x = attr ? attribute_of(item, *attr, env) : item;
      if (!x.is_number()) fail("unsupported operand type(s) for +: 'int' and '", type_name(x), "'");
      if (x.kind == K::floating) is_float = true;
      f += as_double(x);
      if (x.kind != K::floating) i = add_int(i, x.kind == K::boolean ? int64_t(x.boolean) : x.integer);
    }
    return is_float ? Value::from(f) : Value::from(i);
  }
  if (n == "abs") {
    if (v.kind == K::integer) return Value::from(v.integer < 0 ? negate_int(v.integer) : v.integer);
    if (v.kind == K::boolean) return Value::from(int64_t(v.boolean));
    return Value::from(std::fabs(as_double(v)));
  }
  if (n == "indent") {
    a.check("indent", 3, {"width", "first", "blank"});
    const Value* w = a.get(0, "width");
    std::string pad = w && w->is_string() ? w->text.bytes : std::string(w && w->kind == K::integer ? size_t(std::clamp<int64_t>(w->integer, 0, 1024)) : 4, ' ');
    const bool first = flag(a.get(1, "first")), blank = flag(a.get(2, "blank"));
    Text s = to_text(v);
    s.append_template("\n");
    List lines = *call_method(Value::from(s), "split", Args{{Value::str("\n")}, {}}).list;
    lines.pop_back();  // splitlines(): the added newline ends the last line
    Text out;
    for (size_t i = 0; i < lines.size(); ++i) {
      const Text& line = lines[i].text;
      if (i > 0) out.append_template("\n");
      if (i == 0 ? first : blank || !line.empty()) out.append_template(pad);
      out.append(line);
    }
    return Value::from(out);
  }
  if (n == "wordcount") {
    int64_t words = 0;
    bool in_word = false;
    for (unsigned char c : to_text(v).bytes) {
      const bool word = std::isalnum(c) || c == '_' || c >= 0x80;
      words += word && !in_word;
      in_word = word;
    }
    return Value::from(words);
  }
  fail("filter '", n, "' is not supported");
}

}  // namespace trit::tokenizer::jinja
