// Constrained output, as the APIs ask for it -> the grammar a generation runs under.
//
//   response_format  {"type": "text"}                     nothing (the default)
//                    {"type": "json_object"}               any JSON object
//                    {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict": ...}}
//   grammar          GBNF text (llama.cpp's extension: chat, completions, /completion, /infill)
//   json_schema      a schema object (llama.cpp's extension: chat, completions, /completion, /infill)
//   text.format      the Responses API's flat shape: {"type": "json_schema", "name", "schema", "strict"}
// At most one of them. A malformed value, bad GBNF or an unsupported schema keyword is
// ApiError 400 naming the field (and the keyword in the message).
//
// With thinking on, the grammar starts after the model's </think>: the reasoning stays free and
// the answer (the content) is what conforms.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/generate_options.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

// Sets options.grammar (and grammar_after when `thinking`) from the request body's fields
// (response_format, grammar, json_schema): chat and completions.
void parse_structured_output(const nlohmann::json& body, bool thinking, engine::GenerateOptions& options);

// llama.cpp's fields alone (grammar, json_schema), as llama-server's /completion and /infill take
// them: an empty grammar is none; both at once is a 400.
void parse_grammar_fields(const nlohmann::json& body, bool thinking, engine::GenerateOptions& options);

// The Responses API's text.format (flat: name, schema and strict beside type); a 400 names
// 'text.format'.
void parse_text_format(const nlohmann::json& format, bool thinking, engine::GenerateOptions& options);

// A constrained request masks with the tokenizer's token trie, built on first use: build it on the
// request's thread, rather than in the middle of the scheduler's batch.
void warm_token_trie(const engine::GenerateOptions& options, const tokenizer::Tokenizer& tokenizer);

// Forces one of `tools` (checked OpenAI function tools) to be called, in Qwen3's format:
//   <tool_call>\n{"name": "<name>", "arguments": <conforming to its parameters>}\n</tool_call>
// `only`: the one function to call (empty: any of them).
void force_tool_call(const nlohmann::json& tools, const std::string& only, bool thinking,
                     engine::GenerateOptions& options);

}  // namespace trit::server
