// Jinja lexer with the settings of Hugging Face's chat-template environment: trim_blocks (the
// first newline after a block or comment tag is dropped), lstrip_blocks (spaces and tabs before a
// block or comment tag at the start of a line are dropped), "-" to strip all whitespace on that
// side of a tag and "+" to keep it, newlines normalised to "\n", one trailing newline of the
// source dropped (keep_trailing_newline=False), {% raw %} blocks kept verbatim.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace trit::tokenizer::jinja {

enum class Tok { data, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };

struct Token {
  Tok type;
  std::string value;  // data text, name, unescaped string, number text or operator
  int line;
};

// Throws trit::Error "chat template line N: ..." for an unterminated tag, string or comment.
std::vector<Token> lex(std::string_view source);

}  // namespace trit::tokenizer::jinja
