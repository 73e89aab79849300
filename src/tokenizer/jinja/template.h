// A Jinja2 template as Hugging Face's apply_chat_template renders it: trim_blocks, lstrip_blocks,
// loop controls (break/continue), the globals raise_exception(msg) and strftime_now(fmt) (plus
// Jinja2's range, namespace, dict), default Undefined (printing an undefined value gives "",
// using one in arithmetic or taking its attribute is an error), and HF's immutable sandbox
// (list.append and the like are refused).
//
// The output is Text: each byte says whether it came from the template or from the context's
// data, so the tokenizer can keep conversation text from making control tokens.
//
// Everything trit does not implement is an Error that names it and the template line, found
// when parsing where possible (an unknown filter or test, an unsupported tag), never silently
// wrong output. Rendering is bounded (steps, output size, macro depth) so no template can hang.
#pragma once
#include <memory>
#include <string_view>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

namespace trit::tokenizer::jinja {

class Template {
 public:
  explicit Template(std::string_view source);
  Text render(const Dict& context) const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace trit::tokenizer::jinja
