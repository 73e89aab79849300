// Shared by the tokenizer tests: the npm oracle (tests/tokenizer/oracle, installed with
// `npm ci --prefix tests/tokenizer/oracle`) and the real Qwen3 tokenizer built from its files.
#pragma once
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace trit::test {

// tests/tokenizer/oracle in the source tree.
std::string oracle_dir();
// Path of the package's tokenizer.json / tokenizer_config.json.
std::string oracle_tokenizer_json();
std::string oracle_tokenizer_config();
// Fails the test (ADD_FAILURE, returns false) when node_modules is missing: these tests never
// skip for lack of the oracle.
bool oracle_installed();
// Runs `node SCRIPT ARGS` in the oracle folder; fails the test on a non-zero exit.
bool run_node(const std::string& script_and_args);

// The Qwen3 tokenizer from a GGUF made by `trit mkmodel --tokenizer <npm tokenizer.json>
// --tokenizer-config <npm tokenizer_config.json>` (made once, cached), padded to 151,936.
// `pre` replaces its tokenizer.ggml.pre ("qwen2"): the same vocab under another pre-tokenizer.
const tokenizer::Tokenizer& qwen3_tokenizer(const std::string& pre = "qwen2");

std::string base64_encode(const std::string& bytes);
std::string base64_decode(const std::string& text);
std::vector<std::string> read_lines(const std::string& path);

}  // namespace trit::test
