// to_json_python: Python json.dumps(value, ensure_ascii=False) formatting, which is what the
// `tojson` filter of transformers' chat-template environment produces: the Jinja engine's own
// tojson, so there is one writer of it.
#include "tokenizer/chat.h"
#include "tokenizer/jinja/value.h"

namespace trit::tokenizer {

std::string to_json_python(const ordered_json& value) { return jinja::to_json(jinja::from_json(value), -1); }

}  // namespace trit::tokenizer
