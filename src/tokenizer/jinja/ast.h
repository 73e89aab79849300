// The parsed template: statements and expressions, each with its source line for errors.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/value.h"

namespace trit::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    literal,   // value
    name,      // name
    list,      // args
    tuple,     // args
    dict,      // args: key, value, key, value...
    attr,      // args[0].name
    index,     // args[0][args[1]]
    slice,     // args[0][args[1]:args[2]:args[3]] (null parts absent)
    call,      // args[0](args[1..], kwargs)
    filter,    // name(args[0], args[1..], kwargs)
    test,      // args[0] is [not] name(args[1..]); negated
    neg, pos, not_,
    binary,    // args[0] op args[1]: + - * / // % ** ~
    compare,   // args[0] ops[0] args[1] ops[1] args[2]...
    and_, or_,
    cond,      // args[1] if args[0] else args[2] (args[2] may be null)
  };
  Kind kind;
  int line = 0;
  Value value;
  std::string name;
  std::vector<std::string> ops;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: undefined when not passed
};

struct Stmt {
  enum class Kind { text, print, if_, for_, set, set_block, macro, call_block, filter_block, break_, continue_ };
  Kind kind;
  int line = 0;
  std::string text;                 // text: the template's bytes
  ExprPtr expr;                     // print, set value, for iterable, call_block call, filter_block filter
  std::vector<std::pair<ExprPtr, Body>> branches;  // if/elif conditions with bodies
  Body body, else_body;             // for/macro/set_block/call/filter body; else branches
  std::vector<std::string> targets; // for/set names; set "ns.attr" as {"ns", "attr"} with attr_target
  bool attr_target = false;
  ExprPtr loop_filter;              // for ... if cond
  std::string name;                 // macro name
  std::vector<MacroParam> params;   // macro parameters; call block's caller parameters
};

struct Program {
  Body body;
};

}  // namespace trit::tokenizer::jinja
