// Python's str and dict methods as chat templates call them, on Text (provenance kept per byte:
// results are slices and joins of their inputs), plus len() and iteration.
#include <utf8proc.h>

#include <algorithm>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/integers.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {

const Value* Args::get(size_t index, std::string_view name) const {
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return index < positional.size() ? &positional[index] : nullptr;
}

void Args::check(const char* what, size_t most, std::initializer_list<std::string_view> names) const {
  if (positional.size() > most) fail(what, " takes at most ", most, " arguments (", positional.size(), " given)");
  for (const auto& [k, v] : keyword)
    if (std::find(names.begin(), names.end(), k) == names.end()) fail(what, " got an unexpected keyword argument '", k, "'");
}

size_t char_count(const Text& s) {
  size_t n = 0;
  for (unsigned char c : s.bytes) n += (c & 0xC0) != 0x80;
  return n;
}

int64_t length_of(const Value& v) {
  switch (v.kind) {
    case Value::Kind::string: return int64_t(char_count(v.text));
    case Value::Kind::list: return int64_t(v.list->size());
    case Value::Kind::dict: return int64_t(v.dict->items.size());
    case Value::Kind::undefined: return 0;
    default: fail("object of type '", type_name(v), "' has no len()");
  }
}

List iterate(const Value& v) {
  switch (v.kind) {
    case Value::Kind::list: return *v.list;
    case Value::Kind::dict: {
      List keys;
      for (const auto& [k, e] : v.dict->items) keys.push_back(Value::from(k));
      return keys;
    }
    case Value::Kind::string: {
      List chars;
      auto at = char_offsets(v.text.bytes);
      for (size_t i = 0; i + 1 < at.size(); ++i) chars.push_back(Value::from(v.text.slice(at[i], at[i + 1])));
      return chars;
    }
    case Value::Kind::undefined: return {};
    default: fail("'", type_name(v), "' object is not iterable");
  }
}

namespace {

const Text& text_arg(const Value* v, const char* what) {
  if (!v || !v->is_string()) fail(what, " needs a string argument");
  return v->text;
}

bool in_chars(uint32_t cp, const Value* chars) {
  if (!chars || chars->kind == Value::Kind::none) return is_python_space(cp);
  const std::string& set = chars->text.bytes;
  for (size_t i = 0; i < set.size();) {
    size_t len;
    if (decode_char(set, i, &len) == cp) return true;
    i += len;
  }
  return false;
}

// Splits on sep (null: runs of whitespace, Python's split()), at most maxsplit times.
List split_text(const Text& s, const Value* sep, int64_t maxsplit, bool from_right) {
  List parts;
  if (sep && sep->kind != Value::Kind::none) {
    const std::string& needle = text_arg(sep, "split").bytes;
    if (needle.empty()) fail("empty separator");
    std::vector<size_t> cuts;  // start of each separator used
    if (!from_right) {
      for (size_t at = s.bytes.find(needle); at != std::string::npos && (maxsplit < 0 || int64_t(cuts.size()) < maxsplit);
           at = s.bytes.find(needle, at + needle.size()))
        cuts.push_back(at);
    } else {
      size_t end = s.size();
      while (maxsplit < 0 || int64_t(cuts.size()) < maxsplit) {
        if (end < needle.size()) break;
        size_t at = s.bytes.rfind(needle, end - needle.size());
        if (at == std::string::npos) break;
        cuts.push_back(at);
        end = at;
      }
      std::reverse(cuts.begin(), cuts.end());
    }
    size_t begin = 0;
    for (size_t at : cuts) {
      parts.push_back(Value::from(s.slice(begin, at)));
      begin = at + needle.size();
    }
    parts.push_back(Value::from(s.slice(begin, s.size())));
    return parts;
  }
  // Whitespace runs; leading and trailing whitespace make no empty parts.
  std::vector<std::pair<size_t, size_t>> words;
  auto at = char_offsets(s.bytes);
  size_t start = std::string::npos;
  for (size_t i = 0; i + 1 < at.size(); ++i) {
    size_t len;
    const bool space = is_python_space(decode_char(s.bytes, at[i], &len));
    if (!space && start == std::string::npos) start = at[i];
    if (space && start != std::string::npos) {
      words.emplace_back(start, at[i]);
      start = std::string::npos;
    }
  }
  if (start != std::string::npos) words.emplace_back(start, s.size());
  if (maxsplit >= 0 && int64_t(words.size()) > maxsplit + 1) {
    if (!from_right) {  // the remainder keeps its inner and trailing whitespace, as in Python
      words[size_t(maxsplit)].second = s.size();
      words.resize(size_t(maxsplit) + 1);
    } else {
      const size_t first = words.size() - size_t(maxsplit) - 1;
      words[first].first = 0;
      words.erase(words.begin(), words.begin() + long(first));
    }
  }
  for (auto [b, e] : words) parts.push_back(Value::from(s.slice(b, e)));
  return parts;
}

// Maps each character (utf8proc case mapping), keeping the provenance of its first byte.
Text map_chars(const Text& s, const std::function<int32_t(int32_t, size_t)>& f) {
  Text out;
  auto at = char_offsets(s.bytes);
  for (size_t i = 0; i + 1 < at.size(); ++i) {
    size_t len;
    std::string ch;
    append_utf8(ch, uint32_t(f(int32_t(decode_char(s.bytes, at[i], &len)), i)));
    if (s.is_data(at[i])) out.append_data(ch);
    else out.append_template(ch);
  }
  return out;
}

bool is_cased(int32_t cp) { return utf8proc_toupper(cp) != cp || utf8proc_tolower(cp) != cp; }

Value bool_value(bool b) { return Value::from(b); }

bool match_affix(const Text& s, const Value& affix, bool at_end) {
  auto one = [&](const Value& a) {
    const std::string& p = text_arg(&a, at_end ? "endswith" : "startswith").bytes;
    if (p.size() > s.size()) return false;
    return at_end ? s.bytes.compare(s.size() - p.size(), p.size(), p) == 0 : s.bytes.compare(0, p.size(), p) == 0;
  };
  if (affix.kind == Value::Kind::list) {
    for (const auto& a : *affix.list)
      if (one(a)) return true;
    return false;
  }
  return one(affix);
}

Value str_method(const Text& s, const std::string& name, const Args& a) {
  auto int_arg = [&](size_t i, const char* n, int64_t dflt) {
    const Value* v = a.get(i, n);
    if (!v || v->kind == Value::Kind::none) return dflt;
    if (v->kind != Value::Kind::integer) fail(name, "() needs an integer ", n);
    return v->integer;
  };
  if (name == "startswith" || name == "endswith") {
    a.check(name.c_str(), 1, {});
    if (a.positional.empty()) fail(name, "() takes one argument");
    return bool_value(match_affix(s, a.positional[0], name == "endswith"));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    a.check(name.c_str(), 1, {});
    return Value::from(strip_chars(s, a.get(0, ""), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    a.check(name.c_str(), 2, {"sep", "maxsplit"});
    return Value::make_list(split_text(s, a.get(0, "sep"), int_arg(1, "maxsplit", -1), name == "rsplit"));
  }
  if (name == "replace") {
    a.check("replace", 3, {"count"});
    if (a.positional.size() < 2) fail("replace() takes two arguments");
    return Value::from(replace_text(s, text_arg(&a.positional[0], "replace"), text_arg(&a.positional[1], "replace"),
                                    int_arg(2, "count", -1)));
  }
  if (name == "upper") return Value::from(map_chars(s, [](int32_t c, size_t) { return utf8proc_toupper(c); }));
  if (name == "lower") return Value::from(map_chars(s, [](int32_t c, size_t) { return utf8proc_tolower(c); }));
  if (name == "capitalize")
    return Value::from(map_chars(s, [](int32_t c, size_t i) { return i == 0 ? utf8proc_toupper(c) : utf8proc_tolower(c); }));
  if (name == "title") {
    bool previous_cased = false;
    return Value::from(map_chars(s, [&](int32_t c, size_t) {
      const int32_t r = previous_cased ? utf8proc_tolower(c) : utf8proc_toupper(c);
      previous_cased = is_cased(c);
      return r;
    }));
  }
  if (name == "find" || name == "rfind" || name == "count" || name == "index") {
    a.check(name.c_str(), 1, {});
    const std::string& needle = text_arg(a.get(0, ""), name.c_str()).bytes;
    if (name == "count") {
      if (needle.empty()) return Value::from(int64_t(char_count(s) + 1));
      int64_t n = 0;
      for (size_t at = s.bytes.find(needle); at != std::string::npos; at = s.bytes.find(needle, at + needle.size())) ++n;
      return Value::from(n);
    }
    const size_t at = name == "rfind" ? s.bytes.rfind(needle) : s.bytes.find(needle);
    if (at == std::string::npos) {
      if (name == "index") fail("substring not found");
      return Value::from(int64_t(-1));
    }
    return Value::from(int64_t(char_count(s.slice(0, at))));
  }
  if (name == "join") {
    a.check("join", 1, {});
    if (a.positional.empty()) fail("join() takes one argument");
    Text out;
    bool first = true;
    for (const Value& item : iterate(a.positional[0])) {
      if (!item.is_string()) fail("sequence item: expected str instance, ", type_name(item), " found");
      if (!first) out.append(s);
      first = false;
      out.append(item.text);
    }
    return Value::from(out);
  }
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" || name == "islower" ||
      name == "isupper") {
    if (s.empty()) return bool_value(false);
    bool any_cased = false, ok = true;
    auto at = char_offsets(s.bytes);
    for (size_t i = 0; i + 1 < at.size(); ++i) {
      size_t len;
      const int32_t c = int32_t(decode_char(s.bytes, at[i], &len));
      const auto cat = utf8proc_category(c);
      if (name == "isdigit") ok &= cat == UTF8PROC_CATEGORY_ND;
      if (name == "isalpha") ok &= cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
      if (name == "isalnum") ok &= (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) || cat == UTF8PROC_CATEGORY_ND;
      if (name == "isspace") ok &= is_python_space(uint32_t(c));
      if (name == "islower") ok &= !is_cased(c) || utf8proc_tolower(c) == c;
      if (name == "isupper") ok &= !is_cased(c) || utf8proc_toupper(c) == c;
      any_cased |= is_cased(c);
    }
    if (name == "islower" || name == "isupper") ok &= any_cased;
    return bool_value(ok);
  }
  if (name == "format") {
    // Minimal str.format: "{}" and "{0}" positional, "{name}" keyword, "{{" and "}}".
    Text out;
    size_t next_auto = 0, plain = 0;
    const std::string& f = s.bytes;
    for (size_t i = 0; i < f.size(); ++i) {
      if (f[i] != '{' && f[i] != '}') continue;
      out.append(s.slice(plain, i));
      if (i + 1 < f.size() && f[i + 1] == f[i]) {
        out.append(s.slice(i, i + 1));
        plain = ++i + 1;
        continue;
      }
      if (f[i] == '}') fail("format(): single '}' encountered");
      const size_t close = f.find('}', i);
      if (close == std::string::npos) fail("format(): single '{' encountered");
      const std::string field = f.substr(i + 1, close - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos) fail("format(): format specs are not supported");
      const Value* v = nullptr;
      if (field.empty()) v = next_auto < a.positional.size() ? &a.positional[next_auto++] : nullptr;
      else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
        const auto k = static_cast<uint64_t>(parse_int(field));
        v = k < a.positional.size() ? &a.positional[k] : nullptr;
      } else {
        v = a.get(size_t(-1), field);
      }
      if (!v) fail("format(): no argument for '{", field, "}'");
      out.append(to_text(*v));
      i = close;
      plain = close + 1;
    }
    out.append(s.slice(plain, s.size()));
    return Value::from(out);
  }
  fail("str.", name, "() is not supported");
}

Value dict_method(const Value& d, const std::string& name, const Args& a) {
  if (name == "items" || name == "keys" || name == "values") {
    a.check(name.c_str(), 0, {});
    List out;
    for (const auto& [k, v] : d.dict->items) {
      if (name == "items") out.push_back(Value::make_list({Value::from(k), v}, true));
      else out.push_back(name == "keys" ? Value::from(k) : v);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "get") {
    a.check("get", 2, {});
    if (a.positional.empty()) fail("get() takes a key");
    const Value& key = a.positional[0];
    if (key.is_string())
      if (const Value* v = d.dict->find(key.text.bytes)) return *v;
    return a.positional.size() > 1 ? a.positional[1] : Value::none();
  }
  fail("dict.", name, "() is not supported");
}

constexpr std::string_view kStrMethods[] = {
    "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "replace", "upper", "lower",
    "capitalize", "title", "find", "rfind", "count", "index", "join", "isdigit", "isalpha", "isalnum",
    "isspace", "islower", "isupper", "format"};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get"};
// Methods that change their object: the immutable sandbox refuses them.
constexpr std::string_view kMutating[] = {"append", "extend", "insert", "pop", "remove", "clear", "sort",
                                          "reverse", "update", "setdefault", "popitem"};

template <size_t N>
bool in(const std::string_view (&names)[N], std::string_view n) {
  return std::find(std::begin(names), std::end(names), n) != std::end(names);
}

}  // namespace

Text strip_chars(const Text& s, const Value* chars, bool left, bool right) {
  auto at = char_offsets(s.bytes);
  size_t b = 0, e = at.size() - 1;  // character indices
  size_t len;
  while (left && b < e && in_chars(decode_char(s.bytes, at[b], &len), chars)) ++b;
  while (right && e > b && in_chars(decode_char(s.bytes, at[e - 1], &len), chars)) --e;
  return s.slice(at[b], at[e]);
}

Text replace_text(const Text& s, const Text& old, const Text& replacement, int64_t count) {
  Text out;
  if (old.empty()) {
    // Python inserts the replacement between characters (and at both ends).
    auto at = char_offsets(s.bytes);
    int64_t done = 0;
    for (size_t i = 0; i + 1 < at.size(); ++i) {
      if (count < 0 || done < count) out.append(replacement), ++done;
      out.append(s.slice(at[i], at[i + 1]));
    }
    if (count < 0 || done < count) out.append(replacement);
    return out;
  }
  size_t begin = 0;
  int64_t done = 0;
  for (size_t at = s.bytes.find(old.bytes); at != std::string::npos && (count < 0 || done < count);
       at = s.bytes.find(old.bytes, begin), ++done) {
    out.append(s.slice(begin, at));
    out.append(replacement);
    begin = at + old.size();
  }
  out.append(s.slice(begin, s.size()));
  return out;
}

bool has_method(const Value& receiver, const std::string& name) {
  if (receiver.is_string()) return in(kStrMethods, name);
  if (receiver.kind == Value::Kind::dict) return in(kDictMethods, name) || in(kMutating, name);
  if (receiver.kind == Value::Kind::list) return in(kMutating, name);
  return false;
}

Value call_method(const Value& receiver, const std::string& name, const Args& args) {
  if (in(kMutating, name))
    fail(type_name(receiver), ".", name,
         "() is not allowed: chat templates run in an immutable sandbox (as in Hugging Face transformers)");
  if (receiver.is_string()) return str_method(receiver.text, name, args);
  if (receiver.kind == Value::Kind::dict) return dict_method(receiver, name, args);
  fail("'", type_name(receiver), "' object has no method '", name, "'");
}

}  // namespace trit::tokenizer::jinja
