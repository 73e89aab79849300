// llama.cpp's GBNF grammar syntax -> Grammar.
//
//   # a comment runs to the end of the line
//   root   ::= "{" ws pair ("," ws pair)* "}"       rules: name ::= alternatives
//   pair   ::= key ":" ws value | "(" [a-z]+ ")"    alternatives are separated by |
//   key    ::= [a-zA-Z_] [a-zA-Z0-9_-]{0,31}        classes: ranges, ^ negates, . is any
//   value  ::= "\"" [^"\\]* "\"" | digit+ frac?     *, +, ?, {m}, {m,}, {m,n} repeat an item
//   digit  ::= [0-9]
//   frac   ::= "." digit{1,6}
//   ws     ::= [ \t\n]?
// Literals and classes take the escapes \n \r \t \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH. A rule
// ends at the end of its line unless the line ends inside parentheses or after "|" or "::=".
// A `root` rule is required; an undefined rule, a rule defined twice and left recursion
// (a rule that can reach itself without reading a character) are errors. Every error is a
// trit::Error naming the line and column.
#pragma once
#include <string_view>

#include "engine/grammar/grammar.h"

namespace trit::engine::grammar {

Grammar parse_gbnf(std::string_view text);

}  // namespace trit::engine::grammar
