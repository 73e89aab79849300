// llama.cpp's native generation endpoints as llama-server parses them: POST /completion (a
// prompt as text, token ids or both mixed) and POST /infill (fill-in-the-middle for code
// editors: llama.vim, llama.vscode). Sampling, stop and stream go through the fields every API
// shares (request_fields.h) after llama-server's conventions are mapped onto them (seed -1 is
// random, a negative temperature is greedy, top_k <= 0 is off). A field that would change the
// output and that trit cannot honour (grammar, json_schema, mirostat, typical_p, ...) is a 400
// naming it, never ignored.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/generation_request.h"

namespace trit::server {

struct NativeRequest {
  GenerationRequest generation;
  int n_probs = 0;                          // top-n alternatives per token (completion_probabilities)
  bool return_tokens = false;               // the generated ids in "tokens"
  std::vector<std::string> response_fields;  // non-streamed answers keep only these ("a/b" unnests)
};

NativeRequest parse_native_completion(const nlohmann::json& body, const RequestContext& ctx);
NativeRequest parse_native_infill(const nlohmann::json& body, const RequestContext& ctx);

// The pieces of a fill-in-the-middle prompt.
struct InfillInput {
  std::string prefix, suffix, prompt;  // before the cursor, after it, forced start of the middle
  struct Chunk {
    std::string filename, text;
  };
  std::vector<Chunk> extra;  // other files, as context
};

// Qwen's FIM layout (llama.cpp's format_infill for models with repo and file-separator tokens):
//   <|repo_name|>myproject\n <|file_sep|>{filename}\n{text} ... <|file_sep|>filename\n
//   <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>{prompt}
// Without <|repo_name|>/<|file_sep|> the extra texts are simply put first. Text is tokenized as
// text (a control token's spelling in a file stays text). When the whole does not fit in
// `max_tokens`, the extra context goes first, then the start of the prefix, then the end of the
// suffix. An ApiError 400 when the vocabulary has no <|fim_prefix|>/<|fim_suffix|>/<|fim_middle|>.
std::vector<int32_t> infill_prompt(const tokenizer::Tokenizer& tokenizer, const InfillInput& input,
                                   int64_t max_tokens);

}  // namespace trit::server
