// The tree-walking renderer: scopes as Jinja2 has them (a for loop body gets a fresh scope per
// iteration, a macro a scope over the one it was defined in; if and set do not make scopes), with
// output captured for macros, block sets and filter blocks.
#include <chrono>
#include <cmath>
#include <ctime>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/integers.h"
#include "tokenizer/jinja/parser.h"
#include "tokenizer/jinja/template.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {

struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Scope> parent;

  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get())
      for (const auto& [k, v] : s->vars)
        if (k == name) return &v;
    return nullptr;
  }
  void set(const std::string& name, Value v) {
    for (auto& [k, old] : vars)
      if (k == name) {
        old = std::move(v);
        return;
      }
    vars.emplace_back(name, std::move(v));
  }
};
using ScopePtr = std::shared_ptr<Scope>;

struct MacroValue {
  const Stmt* def;  // macro, or the body of a {% call %} block as `caller`
  ScopePtr closure;
};

namespace {

constexpr size_t kMaxSteps = 2'000'000;
constexpr size_t kMaxOutput = size_t(256) << 20;
constexpr int kMaxCallDepth = 32;
constexpr int64_t kMaxRange = 1'000'000;
const std::string kFilterBlockInput = " filter block input";  // a name no template can write

// An error that already names its line.
struct LocatedError : Error {
  using Error::Error;
};

[[noreturn]] void undefined_error(const Value& v) {
  fail(v.text.empty() ? std::string("value is undefined") : v.text.bytes);
}

Value ns_value(Dict d) {
  Value v = Value::make_dict(std::move(d));
  v.kind = Value::Kind::ns;
  return v;
}

std::string object_name(const Value& v) { return std::string("'") + type_name(v) + " object'"; }

Value get_attribute(const Value& obj, const std::string& name) {
  switch (obj.kind) {
    case Value::Kind::undefined: undefined_error(obj);
    case Value::Kind::dict:
    case Value::Kind::list:
    case Value::Kind::string:
      if (has_method(obj, name)) {
        Value m;
        m.kind = Value::Kind::method;
        m.text = Text(name);
        m.self = std::make_shared<Value>(obj);
        return m;
      }
      if (obj.kind == Value::Kind::dict)
        if (const Value* v = obj.dict->find(name)) return *v;
      break;
    case Value::Kind::ns:
      if (const Value* v = obj.dict->find(name)) return *v;
      break;
    default: break;
  }
  return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) undefined_error(obj);
  if ((obj.kind == Value::Kind::list || obj.kind == Value::Kind::string) &&
      (key.kind == Value::Kind::integer || key.kind == Value::Kind::boolean)) {
    int64_t i = key.kind == Value::Kind::boolean ? key.boolean : key.integer;
    if (obj.kind == Value::Kind::list) {
      const auto n = int64_t(obj.list->size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return (*obj.list)[size_t(i)];
    } else {
      auto at = char_offsets(obj.text.bytes);
      const auto n = int64_t(at.size()) - 1;
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value::from(obj.text.slice(at[size_t(i)], at[size_t(i) + 1]));
    }
    return Value::undefined(object_name(obj) + " has no element " + std::to_string(i));
  }
  if ((obj.kind == Value::Kind::dict || obj.kind == Value::Kind::ns) && key.is_string())
    if (const Value* v = obj.dict->find(key.text.bytes)) return *v;
  if (key.is_string()) return get_attribute(obj, key.text.bytes);
  return Value::undefined(object_name(obj) + " has no element " + repr(key));
}

// Python slice indices for a sequence of length n.
std::vector<size_t> slice_indices(int64_t n, const Value* start, const Value* stop, const Value* step) {
  auto get = [](const Value* v, const char* what) -> std::optional<int64_t> {
    if (!v || v->kind == Value::Kind::none || v->is_undefined()) return std::nullopt;
    if (v->kind == Value::Kind::integer) return v->integer;
    if (v->kind == Value::Kind::boolean) return int64_t(v->boolean);
    fail("slice ", what, " must be an integer, not ", type_name(*v));
  };
  const int64_t st = get(step, "step").value_or(1);
  if (st == 0) fail("slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
    if (!v) return dflt;
    int64_t x = *v < 0 ? *v + n : *v;
    return std::clamp(x, lo, hi);
  };
  std::vector<size_t> out;
  if (st > 0) {
    const int64_t b = clamp(get(start, "start"), 0, 0, n), e = clamp(get(stop, "stop"), n, 0, n);
    for (int64_t i = b; i < e;) {
      out.push_back(size_t(i));
      if (__builtin_add_overflow(i, st, &i)) break;  // past the last 64-bit integer: past the end
    }
  } else {
    const int64_t b = clamp(get(start, "start"), n - 1, -1, n - 1), e = clamp(get(stop, "stop"), -1, -1, n - 1);
    for (int64_t i = b; i > e;) {
      out.push_back(size_t(i));
      if (__builtin_add_overflow(i, st, &i)) break;
    }
  }
  return out;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    Text t = to_text(a);
    t.append(to_text(b));
    return Value::from(t);
  }
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  using K = Value::Kind;
  const bool ints = (a.kind == K::integer || a.kind == K::boolean) && (b.kind == K::integer || b.kind == K::boolean);
  auto int_of = [](const Value& v) { return v.kind == K::boolean ? int64_t(v.boolean) : v.integer; };
  if (a.is_number() && b.is_number()) {
    if (ints) {
      const int64_t x = int_of(a), y = int_of(b);
      if (op == "+") return Value::from(add_int(x, y));
      if (op == "-") return Value::from(sub_int(x, y));
      if (op == "*") return Value::from(mul_int(x, y));
      if (op == "//" || op == "%") {
        if (y == 0) fail("integer division or modulo by zero");
        return Value::from(op == "//" ? floor_div(x, y) : floor_mod(x, y));
      }
      if (op == "**" && y >= 0) return Value::from(pow_int(x, y));
    }
    const double x = as_double(a), y = as_double(b);
    if (op == "+") return Value::from(x + y);
    if (op == "-") return Value::from(x - y);
    if (op == "*") return Value::from(x * y);
    if (op == "/") {
      if (y == 0) fail("division by zero");
      return Value::from(x / y);
    }
    if (op == "//" || op == "%") {
      if (y == 0) fail("float division or modulo by zero");
      const double q = std::floor(x / y);
      return Value::from(op == "//" ? q : x - q * y);
    }
    if (op == "**") return Value::from(std::pow(x, y));
  }
  if (op == "+" && a.is_string() && b.is_string()) {
    Text t = a.text;
    t.append(b.text);
    return Value::from(t);
  }
  if (op == "+" && a.kind == K::list && b.kind == K::list) {
    List items = *a.list;
    items.insert(items.end(), b.list->begin(), b.list->end());
    return Value::make_list(std::move(items), a.tuple && b.tuple);
  }
  if (op == "*" && (a.is_string() || a.kind == K::list) && (b.kind == K::integer)) {
    const int64_t times = std::clamp<int64_t>(b.integer, 0, 1 << 20);
    if (a.is_string()) {
      Text t;
      for (int64_t k = 0; k < times && t.size() < kMaxOutput; ++k) t.append(a.text);
      return Value::from(t);
    }
    List items;
    for (int64_t k = 0; k < times && items.size() < (1u << 20); ++k) items.insert(items.end(), a.list->begin(), a.list->end());
    return Value::make_list(std::move(items));
  }
  if (op == "*" && a.kind == K::integer && (b.is_string() || b.kind == K::list)) return arithmetic(op, b, a);
  if (op == "%" && a.is_string()) fail("printf-style string formatting ('%') is not supported");
  fail("unsupported operand type(s) for ", op, ": '", type_name(a), "' and '", type_name(b), "'");
}

class Renderer {
 public:
  Renderer() = default;
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;
  // A macro's closure holds the scope that holds the macro: break those cycles at the end.
  ~Renderer() {
    for (auto& m : macros_) m->closure.reset();
  }

  Text run(const Program& program, const Dict& context) {
    auto root = std::make_shared<Scope>();
    for (const char* f : {"range", "namespace", "dict", "raise_exception", "strftime_now"}) root->set(f, Value::function(f));
    for (const auto& [k, v] : context.items) root->set(k.bytes, v);
    Text result;
    out_ = &result;
    exec(program.body, root);
    return result;
  }

 private:
  enum class Flow { normal, break_, continue_ };

  template <class F>
  auto located(int line, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const LocatedError&) {
      throw;
    } catch (const Error& e) {
      throw LocatedError(cat("chat template line ", line, ": ", e.what()));
    }
  }

  void step() {
    if (++steps_ > kMaxSteps) fail("the chat template ran too long (over ", kMaxSteps, " steps)");
  }
  void emit(const Text& t) {
    out_->append(t);
    if (out_->size() > kMaxOutput) fail("the chat template's output is over ", kMaxOutput >> 20, " MiB");
  }

  Text capture(const Body& body, const ScopePtr& scope) {
    Text captured;
    Text* saved = out_;
    out_ = &captured;
    try {
      exec(body, scope);
    } catch (...) {
      out_ = saved;
      throw;
    }
    out_ = saved;
    return captured;
  }

  Flow exec(const Body& body, const ScopePtr& scope) {
    for (const auto& s : body) {
      Flow f = located(s->line, [&] { return exec_one(*s, scope); });
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  void assign(const Stmt& s, const ScopePtr& scope, Value v) {
    if (s.attr_target) {
      const Value* ns = scope->find(s.targets[0]);
      if (!ns || ns->kind != Value::Kind::ns) fail("cannot assign attribute on non-namespace object '", s.targets[0], "'");
      ns->dict->set(Text(s.targets[1]), std::move(v));
      return;
    }
    bind(s.targets, scope, v);
  }

  void bind(const std::vector<std::string>& names, const ScopePtr& scope, const Value& v) {
    if (names.size() == 1) {
      scope->set(names[0], v);
      return;
    }
    List items = iterate(v);
    if (items.size() != names.size())
      fail(items.size() < names.size() ? "not enough" : "too many", " values to unpack (expected ", names.size(), ", got ",
           items.size(), ")");
    for (size_t i = 0; i < names.size(); ++i) scope->set(names[i], items[i]);
  }

  Flow exec_one(const Stmt& s, const ScopePtr& scope) {
    step();
    switch (s.kind) {
      case Stmt::Kind::text: emit(Text(s.text)); break;
      case Stmt::Kind::print: emit(to_text(eval(*s.expr, scope))); break;
      case Stmt::Kind::if_:
        for (const auto& [cond, body] : s.branches)
          if (truthy(eval(*cond, scope))) return exec(body, scope);
        return exec(s.else_body, scope);
      case Stmt::Kind::for_: return exec_for(s, scope);
      case Stmt::Kind::set: assign(s, scope, eval(*s.expr, scope)); break;
      case Stmt::Kind::set_block: scope->set(s.targets[0], Value::from(capture(s.body, scope))); break;
      case Stmt::Kind::macro: {
        Value m;
        m.kind = Value::Kind::macro;
        m.text = Text(s.name);
        m.macro = new_macro(&s, scope);
        scope->set(s.name, m);
        break;
      }
      case Stmt::Kind::call_block: {
        Value caller;
        caller.kind = Value::Kind::macro;
        caller.text = Text("caller");
        caller.macro = new_macro(&s, scope);
        emit(to_text(eval_call(*s.expr, scope, &caller)));
        break;
      }
      case Stmt::Kind::filter_block: {
        auto inner = std::make_shared<Scope>();
        inner->parent = scope;
        inner->set(kFilterBlockInput, Value::from(capture(s.body, scope)));
        emit(to_text(eval(*s.expr, inner)));
        break;
      }
      case Stmt::Kind::break_: return Flow::break_;
      case Stmt::Kind::continue_: return Flow::continue_;
    }
    return Flow::normal;
  }

  Flow exec_for(const Stmt& s, const ScopePtr& scope) {
    const Value iterable = eval(*s.expr, scope);
    if (iterable.kind == Value::Kind::none) fail("'NoneType' object is not iterable");
    List items = iterate(iterable);
    if (s.loop_filter) {
      List kept;
      for (const Value& item : items) {
        auto probe = std::make_shared<Scope>();
        probe->parent = scope;
        bind(s.targets, probe, item);
        if (truthy(eval(*s.loop_filter, probe))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) return exec(s.else_body, scope);
    const auto n = int64_t(items.size());
    for (int64_t i = 0; i < n; ++i) {
      step();
      auto body_scope = std::make_shared<Scope>();
      body_scope->parent = scope;
      Dict loop;
      loop.set(Text("index"), Value::from(i + 1));
      loop.set(Text("index0"), Value::from(i));
      loop.set(Text("revindex"), Value::from(n - i));
      loop.set(Text("revindex0"), Value::from(n - i - 1));
      loop.set(Text("first"), Value::from(i == 0));
      loop.set(Text("last"), Value::from(i == n - 1));
      loop.set(Text("length"), Value::from(n));
      loop.set(Text("depth"), Value::from(int64_t(1)));
      loop.set(Text("depth0"), Value::from(int64_t(0)));
      loop.set(Text("previtem"), i > 0 ? items[size_t(i - 1)] : Value::undefined("there is no previous item"));
      loop.set(Text("nextitem"), i + 1 < n ? items[size_t(i + 1)] : Value::undefined("there is no next item"));
      body_scope->set("loop", Value::make_dict(std::move(loop)));
      bind(s.targets, body_scope, items[size_t(i)]);
      if (exec(s.body, body_scope) == Flow::break_) break;
    }
    return Flow::normal;
  }

  Args eval_args(const Expr& e, size_t first, const ScopePtr& scope) {
    Args a;
    for (size_t i = first; i < e.args.size(); ++i) a.positional.push_back(eval(*e.args[i], scope));
    for (const auto& [k, v] : e.kwargs) a.keyword.emplace_back(k, eval(*v, scope));
    return a;
  }

  Builtins builtins() {
    Builtins b;
    b.getattr = [](const Value& obj, const Value& key) {
      return key.is_string() ? get_attribute(obj, key.text.bytes) : get_item(obj, key);
    };
    return b;
  }

  Value eval(const Expr& e, const ScopePtr& scope) {
    return located(e.line, [&] { return eval_node(e, scope); });
  }

  Value eval_node(const Expr& e, const ScopePtr& scope) {
    using K = Expr::Kind;
    switch (e.kind) {
      case K::literal: return e.value;
      case K::name: {
        const Value* v = scope->find(e.name);
        return v ? *v : Value::undefined("'" + e.name + "' is undefined");
      }
      case K::list:
      case K::tuple: {
        List items;
        for (const auto& a : e.args) items.push_back(eval(*a, scope));
        return Value::make_list(std::move(items), e.kind == K::tuple);
      }
      case K::dict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value key = eval(*e.args[i], scope);
          if (!key.is_string()) fail("dict keys must be strings in trit's chat templates (got ", type_name(key), ")");
          d.set(key.text, eval(*e.args[i + 1], scope));
        }
        return Value::make_dict(std::move(d));
      }
      case K::attr: return get_attribute(eval(*e.args[0], scope), e.name);
      case K::index: return get_item(eval(*e.args[0], scope), eval(*e.args[1], scope));
      case K::slice: {
        const Value obj = eval(*e.args[0], scope);
        Value parts[3];
        for (int k = 0; k < 3; ++k)
          if (e.args[size_t(k) + 1]) parts[k] = eval(*e.args[size_t(k) + 1], scope);
        auto p = [&](int k) { return e.args[size_t(k) + 1] ? &parts[k] : nullptr; };
        if (obj.is_undefined()) undefined_error(obj);
        if (obj.kind == Value::Kind::list) {
          List items;
          for (size_t i : slice_indices(int64_t(obj.list->size()), p(0), p(1), p(2))) items.push_back((*obj.list)[i]);
          return Value::make_list(std::move(items), obj.tuple);
        }
        if (obj.is_string()) {
          auto at = char_offsets(obj.text.bytes);
          Text t;
          for (size_t i : slice_indices(int64_t(at.size()) - 1, p(0), p(1), p(2))) t.append(obj.text.slice(at[i], at[i + 1]));
          return Value::from(t);
        }
        fail("'", type_name(obj), "' object is not subscriptable");
      }
      case K::call: return eval_call(e, scope, nullptr);
      case K::filter: {
        const Value input = eval(*e.args[0], scope);
        const std::string name = e.name == "d" ? "default" : e.name;
        return apply_filter(name, input, eval_args(e, 1, scope), builtins());
      }
      case K::test: {
        const Value input = eval(*e.args[0], scope);
        return Value::from(apply_test(e.name, input, eval_args(e, 1, scope), builtins()) != e.negated);
      }
      case K::neg:
      case K::pos: {
        const Value v = eval(*e.args[0], scope);
        if (v.is_undefined()) undefined_error(v);
        if (!v.is_number()) fail("bad operand type for unary ", e.kind == K::neg ? "-" : "+", ": '", type_name(v), "'");
        if (e.kind == K::pos) return v.kind == Value::Kind::boolean ? Value::from(int64_t(v.boolean)) : v;
        if (v.kind == Value::Kind::floating) return Value::from(-v.floating);
        return Value::from(negate_int(v.kind == Value::Kind::boolean ? int64_t(v.boolean) : v.integer));
      }
      case K::not_: return Value::from(!truthy(eval(*e.args[0], scope)));
      case K::and_: {
        Value a = eval(*e.args[0], scope);
        return truthy(a) ? eval(*e.args[1], scope) : a;
      }
      case K::or_: {
        Value a = eval(*e.args[0], scope);
        return truthy(a) ? a : eval(*e.args[1], scope);
      }
      case K::binary: return arithmetic(e.name, eval(*e.args[0], scope), eval(*e.args[1], scope));
      case K::compare: {
        Value left = eval(*e.args[0], scope);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1], scope);
          const std::string& op = e.ops[i];
          bool r;
          if (op == "==") r = equals(left, right);
          else if (op == "!=") r = !equals(left, right);
          else if (op == "in") r = value_in(left, right);
          else if (op == "notin") r = !value_in(left, right);
          else {
            if (left.is_undefined()) undefined_error(left);
            if (right.is_undefined()) undefined_error(right);
            if (op == "<") r = less(left, right);
            else if (op == ">") r = less(right, left);
            else if (op == "<=") r = !less(right, left);
            else r = !less(left, right);
          }
          if (!r) return Value::from(false);
          left = std::move(right);
        }
        return Value::from(true);
      }
      case K::cond:
        if (truthy(eval(*e.args[0], scope))) return eval(*e.args[1], scope);
        return e.args[2] ? eval(*e.args[2], scope) : Value::undefined("the inline if had no else");
    }
    fail("unknown expression");
  }

  Value eval_call(const Expr& e, const ScopePtr& scope, const Value* caller) {
    const Value callee = eval(*e.args[0], scope);
    Args a = eval_args(e, 1, scope);
    switch (callee.kind) {
      case Value::Kind::method: return call_method(*callee.self, callee.text.bytes, a);
      case Value::Kind::function: return call_function(callee.text.bytes, a);
      case Value::Kind::macro: return call_macro(callee, a, caller);
      case Value::Kind::undefined: undefined_error(callee);
      default: fail("'", type_name(callee), "' object is not callable");
    }
  }

  Value call_function(const std::string& name, const Args& a) {
    if (name == "raise_exception") {
      fail("the template raised an error: ", a.positional.empty() ? std::string() : to_text(a.positional[0]).bytes);
    }
    if (name == "strftime_now") {
      if (a.positional.empty() || !a.positional[0].is_string()) fail("strftime_now needs a format string");
      const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
      std::tm local{};
      localtime_r(&now, &local);
      char buf[256];
      const size_t n = std::strftime(buf, sizeof buf, a.positional[0].text.bytes.c_str(), &local);
      return Value::str(std::string(buf, n));
    }
    if (name == "range") {
      a.check("range", 3, {});
      std::vector<int64_t> p;
      for (const Value& v : a.positional) {
        if (v.kind != Value::Kind::integer) fail("range() needs integers");
        p.push_back(v.integer);
      }
      if (p.empty()) fail("range expected at least 1 argument");
      const int64_t start = p.size() > 1 ? p[0] : 0, stop = p.size() > 1 ? p[1] : p[0], st = p.size() > 2 ? p[2] : 1;
      if (st == 0) fail("range() arg 3 must not be zero");
      List items;
      for (int64_t i = start; st > 0 ? i < stop : i > stop;) {
        if (int64_t(items.size()) >= kMaxRange) fail("range() over ", kMaxRange, " items");
        items.push_back(Value::from(i));
        if (__builtin_add_overflow(i, st, &i)) break;  // past the last 64-bit integer: past stop
      }
      return Value::make_list(std::move(items));
    }
    // namespace(...) and dict(...): keyword arguments, or one mapping first.
    Dict d;
    if (!a.positional.empty()) {
      if (a.positional.size() > 1 || a.positional[0].kind != Value::Kind::dict) fail(name, "() takes one mapping or keywords");
      d = *a.positional[0].dict;
    }
    for (const auto& [k, v] : a.keyword) d.set(Text(k), v);
    return name == "namespace" ? ns_value(std::move(d)) : Value::make_dict(std::move(d));
  }

  Value call_macro(const Value& callee, const Args& a, const Value* caller) {
    const MacroValue& m = *callee.macro;
    if (!m.closure) fail("macro '", callee.text.bytes, "' outlived its render");
    if (depth_ >= kMaxCallDepth) fail("macro calls nested over ", kMaxCallDepth, " deep");
    const auto& params = m.def->params;
    if (a.positional.size() > params.size())
      fail("macro '", callee.text.bytes, "' takes ", params.size(), " arguments (", a.positional.size(), " given)");
    auto scope = std::make_shared<Scope>();
    scope->parent = m.closure;
    for (const auto& keyword : a.keyword) {
      const std::string& k = keyword.first;
      if (std::none_of(params.begin(), params.end(), [&](const MacroParam& p) { return p.name == k; }))
        fail("macro '", callee.text.bytes, "' takes no keyword argument '", k, "'");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const MacroParam& p = params[i];
      const Value* given = i < a.positional.size() ? &a.positional[i] : nullptr;
      for (const auto& [k, v] : a.keyword)
        if (k == p.name) given = &v;
      if (given) scope->set(p.name, *given);
      else if (p.default_value) scope->set(p.name, eval(*p.default_value, scope));
      else scope->set(p.name, Value::undefined("'" + p.name + "' is undefined"));
    }
    if (caller) scope->set("caller", *caller);
    ++depth_;
    Text out;
    try {
      out = capture(m.def->body, scope);
    } catch (...) {
      --depth_;
      throw;
    }
    --depth_;
    return Value::from(out);
  }

  std::shared_ptr<MacroValue> new_macro(const Stmt* def, const ScopePtr& scope) {
    auto m = std::make_shared<MacroValue>(MacroValue{def, scope});
    macros_.push_back(m);
    return m;
  }

  std::vector<std::shared_ptr<MacroValue>> macros_;
  Text* out_ = nullptr;
  size_t steps_ = 0;
  int depth_ = 0;
};

// Every filter and test a template names must exist, checked when it is parsed (as Jinja2 does).
void check_names(const Expr* e) {
  if (!e) return;
  if (e->kind == Expr::Kind::filter && !is_filter(e->name == "d" ? "default" : e->name))
    fail("chat template line ", e->line, ": filter '", e->name, "' is not supported");
  if (e->kind == Expr::Kind::test && !is_test(e->name))
    fail("chat template line ", e->line, ": test '", e->name, "' is not supported");
  for (const auto& a : e->args) check_names(a.get());
  for (const auto& [k, v] : e->kwargs) check_names(v.get());
}

void check_names(const Body& body) {
  for (const auto& s : body) {
    check_names(s->expr.get());
    check_names(s->loop_filter.get());
    for (const auto& [cond, b] : s->branches) {
      check_names(cond.get());
      check_names(b);
    }
    for (const auto& p : s->params) check_names(p.default_value.get());
    check_names(s->body);
    check_names(s->else_body);
  }
}

}  // namespace

Template::Template(std::string_view source) {
  auto program = std::make_shared<Program>(parse(source));
  check_names(program->body);
  program_ = std::move(program);
}

Text Template::render(const Dict& context) const {
  Renderer r;
  return r.run(*program_, context);
}

}  // namespace trit::tokenizer::jinja
