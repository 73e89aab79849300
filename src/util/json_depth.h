// Nesting depth of a JSON text, found by a flat scan (no recursion, no parse): the deepest level
// of [ and { outside strings. nlohmann's parser is iterative, but dump(), the chat template's
// value writer and any other recursive walk of the parsed value are not, so a request nested tens
// of thousands of levels deep would overflow the stack after parsing. Callers refuse such text
// before parsing it (kMaxJsonDepth is far beyond any real tool schema or argument object).
#pragma once
#include <cstddef>
#include <string_view>

namespace trit {

inline constexpr size_t kMaxJsonDepth = 256;

// The deepest nesting of arrays and objects in `text` (0 for a scalar). Malformed text gives some
// number too; the parser reports what is wrong with it.
size_t json_nesting_depth(std::string_view text);

}  // namespace trit
