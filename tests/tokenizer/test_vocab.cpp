// VocabData: import from Hugging Face files equals a real Bonsai-layout GGUF, write/read round
// trip, the synthetic byte vocab, and the load-time errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "oracle_support.h"
#include "tokenizer/chat.h"
#include "tokenizer/pretokenizer_patterns.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"
#include "util/error.h"

namespace trit::test {
namespace {

using tokenizer::VocabData;

std::string moby_path() { return shared_dir() + "/models/moby-tiny-Q2_0.gguf"; }

void expect_same_vocab(const VocabData& a, const VocabData& b) {
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.pre, b.pre);
  ASSERT_EQ(a.tokens.size(), b.tokens.size());
  EXPECT_TRUE(a.tokens == b.tokens) << "token texts differ";
  EXPECT_TRUE(a.token_types == b.token_types) << "token types differ";
  ASSERT_EQ(a.merges.size(), b.merges.size());
  EXPECT_TRUE(a.merges == b.merges) << "merges differ";
  EXPECT_EQ(a.eos_id, b.eos_id);
  EXPECT_EQ(a.bos_id, b.bos_id);
  EXPECT_EQ(a.pad_id, b.pad_id);
  EXPECT_EQ(a.add_bos, b.add_bos);
  EXPECT_EQ(a.chat_template, b.chat_template);
}

// tokenizer.* metadata (key, type) in file order.
std::vector<std::pair<std::string, std::string>> tokenizer_keys(const gguf::File& file) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, value] : file.metadata())
    if (key.rfind("tokenizer.", 0) == 0) keys.push_back({key, gguf::describe_type(value)});
  return keys;
}

TEST(Vocab, ImportOfQwen3FilesEqualsTheMobyGguf) {
  if (!have_shared()) GTEST_SKIP() << "skipped: " << shared_dir() << " is absent (no moby-tiny model)";
  if (!oracle_installed()) return;
  VocabData imported = tokenizer::import_hf_tokenizer(oracle_tokenizer_json(), oracle_tokenizer_config(), 151936);
  gguf::File moby = gguf::File::open(moby_path());
  VocabData real = tokenizer::read_vocab(moby);
  EXPECT_EQ(real.tokens.size(), 151936u);
  EXPECT_EQ(real.eos_id, 151645);
  EXPECT_EQ(real.bos_id, 151643);
  EXPECT_EQ(real.pad_id, 151643);
  expect_same_vocab(imported, real);
  EXPECT_EQ(real.chat_template, tokenizer::kQwen3ChatTemplate);
}

TEST(Vocab, MkmodelWritesTheKeysAndTypesOfARealFile) {
  if (!have_shared()) GTEST_SKIP() << "skipped: " << shared_dir() << " is absent (no moby-tiny model)";
  if (!oracle_installed()) return;
  std::string path = make_model("tiny", "q2_0", 1,
                                "--tokenizer " + shell_quote(oracle_tokenizer_json()) + " --tokenizer-config " +
                                    shell_quote(oracle_tokenizer_config()));
  gguf::File ours = gguf::File::open(path);
  gguf::File moby = gguf::File::open(moby_path());
  EXPECT_EQ(tokenizer_keys(ours), tokenizer_keys(moby));
  // The tiny preset does not pad the vocab to 151,936: compare without the [PAD] entries.
  VocabData real = tokenizer::read_vocab(moby);
  while (!real.tokens.empty() && real.token_types.back() == tokenizer::kTokenUnused) {
    real.tokens.pop_back();
    real.token_types.pop_back();
  }
  EXPECT_EQ(real.tokens.size(), 151669u);
  expect_same_vocab(tokenizer::read_vocab(ours), real);
}

TEST(Vocab, WriteThenReadGivesTheSameVocab) {
  VocabData vocab = tokenizer::make_byte_vocab();
  std::string path = scratch_dir() + "/vocab.gguf";
  {
    gguf::Writer writer(path, true);
    tokenizer::write_vocab(writer, vocab);
    writer.begin_data();
    writer.finish();
  }
  gguf::File file = gguf::File::open(path);
  expect_same_vocab(tokenizer::read_vocab(file), vocab);
  auto keys = tokenizer_keys(file);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"tokenizer.ggml.model", "string"},          {"tokenizer.ggml.pre", "string"},
      {"tokenizer.ggml.tokens", "array[string]"},  {"tokenizer.ggml.token_type", "array[i32]"},
      {"tokenizer.ggml.merges", "array[string]"},  {"tokenizer.ggml.eos_token_id", "u32"},
      {"tokenizer.ggml.padding_token_id", "u32"},  {"tokenizer.ggml.bos_token_id", "u32"},
      {"tokenizer.ggml.add_bos_token", "bool"},    {"tokenizer.chat_template", "string"},
  };
  EXPECT_EQ(keys, expected);
}

TEST(Vocab, ByteVocabIsAUsableQwen3StyleVocab) {
  VocabData vocab = tokenizer::make_byte_vocab();
  EXPECT_NO_THROW(tokenizer::check_vocab(vocab));
  EXPECT_EQ(vocab.tokens[0], "!");  // the GPT-2 alphabet order, as Qwen's vocab starts
  EXPECT_EQ(vocab.tokens[255], "\xC5\x83");  // U+0143, the last remapped byte
  EXPECT_GE(vocab.merges.size(), 100u);
  EXPECT_FALSE(vocab.add_bos);
  tokenizer::Tokenizer tok(vocab);
  EXPECT_EQ(tok.token_text(tok.eos_id()), "<|im_end|>");
  EXPECT_EQ(tok.token_text(tok.bos_id()), "<|endoftext|>");
  EXPECT_EQ(tok.pad_id(), tok.bos_id());
  EXPECT_EQ(tok.token_type(*tok.find_token("<|im_start|>")), tokenizer::kTokenControl);
  EXPECT_EQ(tok.token_type(*tok.find_token("<think>")), tokenizer::kTokenUserDefined);
  EXPECT_EQ(tok.token_type(*tok.find_token("</tool_call>")), tokenizer::kTokenUserDefined);
  EXPECT_EQ(tok.vocab_size(), vocab.tokens.size());
  EXPECT_EQ(tok.chat_template(), tokenizer::kQwen3ChatTemplate);
  // Merges are used: common English words take fewer tokens than bytes.
  std::string text = "The engine reads the answer and then the question.";
  auto ids = tok.encode(text);
  EXPECT_LT(ids.size(), text.size() / 2);
  EXPECT_EQ(tok.decode(ids), text);
  auto chat = tok.encode("<|im_start|>user\nhi<|im_end|>");
  EXPECT_EQ(chat.front(), *tok.find_token("<|im_start|>"));
  EXPECT_EQ(chat.back(), tok.eos_id());
  EXPECT_TRUE(tok.is_eog(tok.eos_id()));
  EXPECT_TRUE(tok.is_eog(tok.bos_id()));  // <|endoftext|>
  EXPECT_FALSE(tok.is_eog(ids[0]));
}

// Expects check_vocab to throw a trit::Error whose message contains `needle`.
void expect_load_error(const VocabData& vocab, const std::string& needle) {
  try {
    tokenizer::check_vocab(vocab);
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

TEST(Vocab, LoadErrorsNameTheProblem) {
  const VocabData good = tokenizer::make_byte_vocab();
  VocabData v = good;
  v.pre = "llama-bpe";
  expect_load_error(v, "pre-tokenizer 'llama-bpe' is not supported");
  v = good;
  v.model = "llama";
  expect_load_error(v, "tokenizer model 'llama' is not supported");
  v = good;
  v.token_types.pop_back();
  expect_load_error(v, "token types");
  v = good;
  v.merges.push_back("Ġ nonexistenttoken");
  expect_load_error(v, "names a token that is not in the vocab ('nonexistenttoken')");
  v = good;
  v.merges.push_back("Ġ");
  expect_load_error(v, "is not two tokens");
  v = good;
  v.merges.push_back("a b c");
  expect_load_error(v, "is not two tokens");
  v = good;
  v.merges.push_back("a z");  // both exist, "az" does not
  expect_load_error(v, "('az')");
  v = good;
  v.eos_id = int32_t(v.tokens.size());
  expect_load_error(v, "eos token id");
  v = good;
  v.token_types[3] = 9;
  expect_load_error(v, "unknown token type 9");
  v = good;
  v.tokens[0] = "not-a-byte";
  expect_load_error(v, "no token for byte 0x21");
  v = good;
  v.tokens.clear();
  v.token_types.clear();
  expect_load_error(v, "empty");
}

TEST(Vocab, ReadVocabRejectsArraysOfDifferentLengths) {
  VocabData vocab = tokenizer::make_byte_vocab();
  std::string path = scratch_dir() + "/bad.gguf";
  {
    gguf::Writer writer(path, true);
    tokenizer::write_vocab(writer, vocab);
    std::vector<float> scores(vocab.tokens.size() - 1, 0.0f);
    writer.set("tokenizer.ggml.scores", gguf::Value::of_f32s(scores));
    std::vector<int32_t> types(vocab.tokens.size() + 2, 1);
    writer.set("tokenizer.ggml.token_type", gguf::Value::of_i32s(types));
    writer.begin_data();
    writer.finish();
  }
  gguf::File file = gguf::File::open(path);
  try {
    tokenizer::read_vocab(file);
    ADD_FAILURE() << "no error for token_type longer than tokens";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.token_type has"), std::string::npos) << e.what();
  }
}

// tokenizer.json stores the regex, GGUF the name: a Qwen3.5 tokenizer.json must come out as
// tokenizer.ggml.pre = "qwen35", a Qwen3 one as "qwen2".
TEST(Vocab, ImportNamesThePreTokenizerByItsRegex) {
  for (const char* name : {"qwen2", "qwen35"}) {
    nlohmann::json json = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}}},
                           {"pre_tokenizer",
                            {{"type", "Sequence"},
                             {"pretokenizers",
                              {{{"type", "Split"}, {"pattern", {{"Regex", tokenizer::find_pretokenizer(name)->hf}}}},
                               {{"type", "ByteLevel"}}}}}}};
    EXPECT_EQ(tokenizer::import_hf_tokenizer(json.dump(), "", 0).pre, name);
  }
}

TEST(Vocab, ImportRejectsUnknownPreTokenizer) {
  std::string json = R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "\\s+"}}, {"type": "ByteLevel"}]}})";
  try {
    tokenizer::import_hf_tokenizer(json, "", 0);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("regex is not one trit knows"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tokenizer::import_hf_tokenizer("{not json", "", 0), Error);
  EXPECT_THROW(tokenizer::import_hf_tokenizer("/nonexistent/tokenizer.json", "", 0), Error);
}

}  // namespace
}  // namespace trit::test
