// Recursive descent with Jinja2's precedence, lowest first:
//   x if c else y;  or;  and;  not;  comparisons and (not) in;  + -;  ~;  * / // %;  **;
//   unary - +;  primary with .attr, [index/slice] and (call);  then |filter, is test.
#include "tokenizer/jinja/parser.h"

#include <cstdlib>

#include "tokenizer/jinja/lexer.h"
#include "util/error.h"

namespace trit::tokenizer::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Program program() {
    Program p;
    std::string end = parse_body(p.body, {});
    if (!end.empty()) error(cur().line, "unexpected '{% ", end, " %}'");
    return p;
  }

 private:
  template <class... Parts>
  [[noreturn]] void error(int line, const Parts&... parts) {
    fail("chat template line ", line, ": ", parts...);
  }

  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  Token next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  bool is_op(const char* op) const { return cur().type == Tok::op && cur().value == op; }
  bool is_name(const char* name) const { return cur().type == Tok::name && cur().value == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    ++i_;
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    ++i_;
    return true;
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) error(cur().line, "expected '", op, "', found ", describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != Tok::name) error(cur().line, "expected a name, found ", describe(cur()));
    return next().value;
  }
  void expect_block_end() {
    if (cur().type != Tok::block_end) error(cur().line, "expected '%}', found ", describe(cur()));
    ++i_;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::eof: return "the end of the template";
      case Tok::block_end: return "'%}'";
      case Tok::var_end: return "'}}'";
      case Tok::string: return "a string";
      case Tok::data: return "text";
      default: return "'" + t.value + "'";
    }
  }

  // Statements until one of `ends` ("endif", "else", ...); returns the end tag's name (consumed
  // up to its name; the caller reads the rest of the tag) or "" at the end of the template.
  std::string parse_body(Body& body, std::initializer_list<const char*> ends) {
    for (;;) {
      const Token& t = cur();
      if (t.type == Tok::eof) {
        if (ends.size() != 0) error(t.line, "missing '{% ", *(ends.end() - 1), " %}' at the end of the template");
        return "";
      }
      if (t.type == Tok::data) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::text;
        s->line = t.line;
        s->text = t.value;
        body.push_back(std::move(s));
        ++i_;
        continue;
      }
      if (t.type == Tok::var_begin) {
        ++i_;
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::print;
        s->line = t.line;
        s->expr = parse_tuple();
        if (cur().type != Tok::var_end) error(cur().line, "expected '}}', found ", describe(cur()));
        ++i_;
        body.push_back(std::move(s));
        continue;
      }
      if (t.type != Tok::block_begin) error(t.line, "unexpected ", describe(t));
      ++i_;
      const Token& name = cur();
      if (name.type != Tok::name) error(name.line, "expected a tag name after '{%'");
      for (const char* end : ends)
        if (name.value == end) {
          ++i_;
          return end;
        }
      body.push_back(parse_statement());
    }
  }

  StmtPtr parse_statement() {
    Depth guard(*this);
    const Token tag = next();
    auto s = std::make_unique<Stmt>();
    s->line = tag.line;
    const std::string& k = tag.value;
    if (k == "if") {
      s->kind = Stmt::Kind::if_;
      ExprPtr cond = parse_expression();
      for (;;) {
        expect_block_end();
        Body body;
        std::string end = parse_body(body, {"elif", "else", "endif"});
        s->branches.emplace_back(std::move(cond), std::move(body));
        if (end == "elif") {
          cond = parse_expression();
          continue;
        }
        if (end == "else") {
          expect_block_end();
          parse_body(s->else_body, {"endif"});
        }
        expect_block_end();
        break;
      }
    } else if (k == "for") {
      s->kind = Stmt::Kind::for_;
      do s->targets.push_back(expect_name());
      while (skip_op(","));
      if (!skip_name("in")) error(cur().line, "expected 'in' in the for loop");
      s->expr = parse_tuple(false);
      if (skip_name("if")) s->loop_filter = parse_expression();
      if (is_name("recursive")) error(cur().line, "recursive for loops are not supported");
      expect_block_end();
      std::string end = parse_body(s->body, {"else", "endfor"});
      if (end == "else") {
        expect_block_end();
        parse_body(s->else_body, {"endfor"});
      }
      expect_block_end();
    } else if (k == "set") {
      s->kind = Stmt::Kind::set;
      s->targets.push_back(expect_name());
      if (skip_op(".")) {
        s->attr_target = true;
        s->targets.push_back(expect_name());
      } else {
        while (skip_op(",")) s->targets.push_back(expect_name());
      }
      if (skip_op("=")) {
        s->expr = parse_tuple();
        expect_block_end();
      } else {
        if (s->attr_target || s->targets.size() != 1) error(s->line, "a block set takes one name");
        if (is_op("|")) error(cur().line, "filters on a block set are not supported");
        expect_block_end();
        s->kind = Stmt::Kind::set_block;
        parse_body(s->body, {"endset"});
        expect_block_end();
      }
    } else if (k == "macro") {
      s->kind = Stmt::Kind::macro;
      s->name = expect_name();
      parse_params(s->params);
      expect_block_end();
      parse_body(s->body, {"endmacro"});
      if (cur().type == Tok::name) next();  // {% endmacro name %}
      expect_block_end();
    } else if (k == "call") {
      s->kind = Stmt::Kind::call_block;
      if (is_op("(")) parse_params(s->params);
      s->expr = parse_expression();
      if (s->expr->kind != Expr::Kind::call) error(s->line, "{% call %} needs a macro call");
      expect_block_end();
      parse_body(s->body, {"endcall"});
      expect_block_end();
    } else if (k == "filter") {
      s->kind = Stmt::Kind::filter_block;
      auto placeholder = std::make_unique<Expr>();
      placeholder->kind = Expr::Kind::name;  // the body's text (renderer.cpp binds this name)
      placeholder->name = " filter block input";
      placeholder->line = s->line;
      auto first = node(Expr::Kind::filter, s->line);  // {% filter name(args) | more %}
      first->name = expect_name();
      first->args.push_back(std::move(placeholder));
      if (is_op("(")) parse_call_args(*first);
      s->expr = parse_filter(std::move(first));
      expect_block_end();
      parse_body(s->body, {"endfilter"});
      expect_block_end();
    } else if (k == "break" || k == "continue") {
      s->kind = k == "break" ? Stmt::Kind::break_ : Stmt::Kind::continue_;
      expect_block_end();
    } else if (k == "elif" || k == "else" || k.rfind("end", 0) == 0) {
      error(tag.line, "unexpected '{% ", k, " %}'");
    } else {
      error(tag.line, "tag '", k, "' is not supported");
    }
    return s;
  }

  void parse_params(std::vector<MacroParam>& params) {
    expect_op("(");
    while (!is_op(")")) {
      MacroParam p;
      p.name = expect_name();
      if (skip_op("=")) p.default_value = parse_expression();
      params.push_back(std::move(p));
      if (!skip_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr node(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  ExprPtr parse_tuple(bool with_condexpr = true) {
    const int line = cur().line;
    ExprPtr first = with_condexpr ? parse_expression() : parse_or();
    if (!is_op(",")) return first;
    auto t = node(Expr::Kind::tuple, line);
    t->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == Tok::block_end || cur().type == Tok::var_end || is_name("if")) break;
      t->args.push_back(with_condexpr ? parse_expression() : parse_or());
    }
    return t;
  }

  ExprPtr parse_expression() {
    Depth guard(*this);
    ExprPtr e = parse_or();
    while (is_name("if")) {
      const int line = next().line;
      auto c = node(Expr::Kind::cond, line);
      c->args.push_back(parse_or());
      c->args.push_back(std::move(e));
      c->args.push_back(skip_name("else") ? parse_expression() : nullptr);
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(Expr::Kind kind, int line, ExprPtr a, ExprPtr b, std::string op = {}) {
    auto e = node(kind, line);
    e->name = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      const int line = next().line;
      e = binary(Expr::Kind::or_, line, std::move(e), parse_and());
    }
    return e;
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      const int line = next().line;
      e = binary(Expr::Kind::and_, line, std::move(e), parse_not());
    }
    return e;
  }
  ExprPtr parse_not() {
    Depth guard(*this);
    if (is_name("not")) {
      auto e = node(Expr::Kind::not_, next().line);
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    const int line = cur().line;
    ExprPtr first = parse_math1();
    std::unique_ptr<Expr> cmp;
    for (;;) {
      std::string op;
      if (cur().type == Tok::op && (cur().value == "==" || cur().value == "!=" || cur().value == "<" ||
                                    cur().value == "<=" || cur().value == ">" || cur().value == ">=")) {
        op = next().value;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && peek().type == Tok::name && peek().value == "in") {
        i_ += 2;
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::Kind::compare, line);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token op = next();
      e = binary(Expr::Kind::binary, op.line, std::move(e), parse_concat(), op.value);
    }
    return e;
  }
  ExprPtr parse_concat() {
    ExprPtr e = parse_math2();
    while (is_op("~")) {
      const int line = next().line;
      e = binary(Expr::Kind::binary, line, std::move(e), parse_math2(), "~");
    }
    return e;
  }
  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token op = next();
      e = binary(Expr::Kind::binary, op.line, std::move(e), parse_pow(), op.value);
    }
    return e;
  }
  ExprPtr parse_pow() {
    ExprPtr e = parse_unary();
    while (is_op("**")) {
      const int line = next().line;
      e = binary(Expr::Kind::binary, line, std::move(e), parse_unary(), "**");
    }
    return e;
  }
  ExprPtr parse_unary(bool with_filter = true) {
    Depth guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token op = next();
      e = node(op.value == "-" ? Expr::Kind::neg : Expr::Kind::pos, op.line);
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token t = cur();
    switch (t.type) {
      case Tok::name: {
        ++i_;
        auto e = node(Expr::Kind::literal, t.line);
        if (t.value == "true" || t.value == "True") e->value = Value::from(true);
        else if (t.value == "false" || t.value == "False") e->value = Value::from(false);
        else if (t.value == "none" || t.value == "None") e->value = Value::none();
        else {
          e->kind = Expr::Kind::name;
          e->name = t.value;
        }
        return e;
      }
      case Tok::string: {
        std::string s;
        while (cur().type == Tok::string) s += next().value;  // adjacent literals join
        auto e = node(Expr::Kind::literal, t.line);
        e->value = Value::str(std::move(s));
        return e;
      }
      case Tok::integer: {
        ++i_;
        auto e = node(Expr::Kind::literal, t.line);
        errno = 0;
        const long long v = std::strtoll(t.value.c_str(), nullptr, 10);
        if (errno == ERANGE) error(t.line, "integer literal ", t.value, " is too large");
        e->value = Value::from(int64_t(v));
        return e;
      }
      case Tok::floating: {
        ++i_;
        auto e = node(Expr::Kind::literal, t.line);
        e->value = Value::from(std::strtod(t.value.c_str(), nullptr));
        return e;
      }
      case Tok::op:
        if (t.value == "(") {
          ++i_;
          if (skip_op(")")) return node(Expr::Kind::tuple, t.line);
          ExprPtr e = parse_tuple();
          if (e->kind != Expr::Kind::tuple && is_op(",")) e = parse_tuple();
          expect_op(")");
          return e;
        }
        if (t.value == "[") {
          ++i_;
          auto e = node(Expr::Kind::list, t.line);
          while (!is_op("]")) {
            e->args.push_back(parse_expression());
            if (!skip_op(",")) break;
          }
          expect_op("]");
          return e;
        }
        if (t.value == "{") {
          ++i_;
          auto e = node(Expr::Kind::dict, t.line);
          while (!is_op("}")) {
            e->args.push_back(parse_expression());
            expect_op(":");
            e->args.push_back(parse_expression());
            if (!skip_op(",")) break;
          }
          expect_op("}");
          return e;
        }
        [[fallthrough]];
      default: error(t.line, "unexpected ", describe(t), " in an expression");
    }
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) error(cur().line, "*args and **kwargs in calls are not supported");
      if (cur().type == Tok::name && peek().type == Tok::op && peek().value == "=") {
        std::string key = next().value;
        next();
        call.kwargs.emplace_back(std::move(key), parse_expression());
      } else {
        if (!call.kwargs.empty()) error(cur().line, "positional argument after keyword argument");
        call.args.push_back(parse_expression());
      }
      if (!skip_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    for (;;) {
      if (is_op(".")) {
        const int line = next().line;
        if (cur().type == Tok::integer) {  // x.0 is x[0]
          auto idx = node(Expr::Kind::index, line);
          auto key = node(Expr::Kind::literal, line);
          key->value = Value::from(int64_t(std::strtoll(next().value.c_str(), nullptr, 10)));
          idx->args.push_back(std::move(e));
          idx->args.push_back(std::move(key));
          e = std::move(idx);
          continue;
        }
        auto a = node(Expr::Kind::attr, line);
        a->name = expect_name();
        a->args.push_back(std::move(e));
        e = std::move(a);
      } else if (is_op("[")) {
        const int line = next().line;
        ExprPtr parts[3];
        bool is_slice = false;
        for (int k = 0; k < 3; ++k) {
          if (!is_op(":") && !is_op("]")) parts[k] = k == 0 ? parse_tuple() : parse_expression();
          if (k < 2 && skip_op(":")) {
            is_slice = true;
            continue;
          }
          break;
        }
        expect_op("]");
        auto s = node(is_slice ? Expr::Kind::slice : Expr::Kind::index, line);
        s->args.push_back(std::move(e));
        if (!is_slice && !parts[0]) error(line, "empty subscript");
        for (int k = 0; k < (is_slice ? 3 : 1); ++k) s->args.push_back(std::move(parts[k]));
        e = std::move(s);
      } else if (is_op("(")) {
        auto c = node(Expr::Kind::call, cur().line);
        c->args.push_back(std::move(e));
        parse_call_args(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_filter(ExprPtr e) {
    for (;;) {
      if (is_op("|")) {
        const int line = next().line;
        auto f = node(Expr::Kind::filter, line);
        f->name = expect_name();
        while (skip_op(".")) f->name += "." + expect_name();
        f->args.push_back(std::move(e));
        if (is_op("(")) parse_call_args(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        const int line = next().line;
        auto t = node(Expr::Kind::test, line);
        t->negated = skip_name("not");
        t->name = expect_name();
        while (skip_op(".")) t->name += "." + expect_name();
        t->args.push_back(std::move(e));
        if (is_op("(")) {
          parse_call_args(*t);
        } else if ((cur().type == Tok::name && cur().value != "else" && cur().value != "or" && cur().value != "and" &&
                    cur().value != "if" && cur().value != "is" && cur().value != "in" && cur().value != "not") ||
                   cur().type == Tok::string || cur().type == Tok::integer || cur().type == Tok::floating ||
                   is_op("[") || is_op("{")) {
          t->args.push_back(parse_postfix(parse_primary()));
        }
        e = std::move(t);
      } else if (is_op("(") && e->kind == Expr::Kind::filter) {
        auto c = node(Expr::Kind::call, cur().line);
        c->args.push_back(std::move(e));
        parse_call_args(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }

  // Nesting of expressions and blocks, bounded so deep input is an error, not a stack overflow.
  struct Depth {
    Parser& p;
    explicit Depth(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.error(p.cur().line, "nesting is over ", kMaxDepth, " levels deep");
    }
    ~Depth() { --p.depth_; }
  };
  static constexpr int kMaxDepth = 100;

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Program parse(std::string_view source) { return Parser(lex(source)).program(); }

}  // namespace trit::tokenizer::jinja
