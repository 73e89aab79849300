// Text from a file (GGUF metadata, token texts, error messages that quote them) made safe to print
// to a terminal: an escape sequence in a model's name must not clear the screen or retitle it.
#pragma once
#include <string>
#include <string_view>

namespace trit::cli {

// C0 control bytes, DEL and C1 controls (U+0080..U+009F) become \xNN / \u00NN; tab stays, other
// text (valid UTF-8 included) is unchanged.
std::string terminal_safe(std::string_view text);

}  // namespace trit::cli
