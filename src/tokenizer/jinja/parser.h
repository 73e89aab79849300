// Jinja parser: tokens -> Program. Syntax errors and tags trit does not support (include,
// extends, import, ...) are trit::Error naming the construct and the template line.
#pragma once
#include <string_view>

#include "tokenizer/jinja/ast.h"

namespace trit::tokenizer::jinja {

Program parse(std::string_view source);

}  // namespace trit::tokenizer::jinja
