// Unit tests of the tokenizer pieces: byte alphabet, UTF-8 repair, pre-tokenizer edge cases where
// Hugging Face (Oniguruma) differs from the JavaScript oracle, added-token matching, streaming.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "oracle_support.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/pretokenizer_patterns.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::test {
namespace {

using namespace trit::tokenizer;

TEST(ByteLevel, AlphabetIsABijection) {
  EXPECT_EQ(byte_to_piece(' '), "\xC4\xA0");   // Ġ
  EXPECT_EQ(byte_to_piece('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(byte_to_piece('A'), "A");
  std::string all;
  for (int b = 0; b < 256; ++b) all += char(b);
  std::string back;
  ASSERT_TRUE(piece_to_bytes(bytes_to_piece(all), back));
  EXPECT_EQ(back, all);
  std::string ignored;
  EXPECT_FALSE(piece_to_bytes("\xE4\xB8\x96", ignored));  // 世 is not in the alphabet
}

TEST(Utf8, RepairReplacesMaximalIllFormedSubparts) {
  EXPECT_EQ(repair_utf8("abc"), "abc");
  EXPECT_EQ(repair_utf8("a\xE2\x82" "b"), "a\xEF\xBF\xBD" "b");              // one U+FFFD for E2 82
  EXPECT_EQ(repair_utf8("\xF0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // F0 80: 80 is not a valid 2nd byte
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");            // overlong
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98"), "\xEF\xBF\xBD");                    // truncated emoji
  EXPECT_EQ(repair_utf8("\xFF"), "\xEF\xBF\xBD");
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_EQ(complete_utf8_prefix("ab\xF0\x9F\x98"), 2u);
  EXPECT_EQ(complete_utf8_prefix("ab\xFF"), 3u);  // never completes: not held back
}

std::vector<std::string> split(const std::string& text, const char* pre_name = "qwen2") {
  const PreTokenizerPattern* pattern = find_pretokenizer(pre_name);
  if (!pattern) throw Error(std::string("no pre-tokenizer ") + pre_name);
  PreTokenizer pre(pattern->pcre2);
  std::vector<std::string_view> pieces;
  pre.split_into(text, pieces);
  return {pieces.begin(), pieces.end()};
}

TEST(PreTokenizer, SplitsLikeHuggingFace) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split("I'M 12345 \n\n  x"), (V{"I", "'M", " ", "1", "2", "3", "4", "5", " \n\n", " ", " x"}));
  EXPECT_EQ(split("a  \tb"), (V{"a", "  ", "\tb"}));  // a tab may lead a word like a space
  EXPECT_EQ(split("x!!\n\ny"), (V{"x", "!!\n\n", "y"}));
  EXPECT_EQ(split(""), V{});
}

TEST(PreTokenizer, FollowsOnigurumaWhereTheJavaScriptPortDiffers) {
  using V = std::vector<std::string>;
  // U+0085 (NEL) is whitespace for Hugging Face's Oniguruma \s (not for JavaScript's).
  EXPECT_EQ(split("x!\xC2\x85"), (V{"x", "!", "\xC2\x85"}));
  // U+FEFF is not whitespace for Oniguruma (it is for JavaScript).
  EXPECT_EQ(split("x!\xEF\xBB\xBF"), (V{"x", "!\xEF\xBB\xBF"}));
  // (?i:'s) folds case with Unicode rules: 'ſ (long s) is a contraction, as 'S is.
  EXPECT_EQ(split("'\xC5\xBFt"), (V{"'\xC5\xBF", "t"}));
  EXPECT_EQ(split("'St"), (V{"'S", "t"}));
}

// qwen35 is qwen2 with combining marks (\p{M}) in word runs and out of punctuation runs. Each row
// gives the pieces under qwen35, then under qwen2, worked out from the two regexes by hand
// (leftmost alternative wins; the optional one-character prefix of a word run may be a mark).
TEST(PreTokenizer, Qwen35KeepsCombiningMarksInWords) {
  using V = std::vector<std::string>;
  const std::string acute = "\xCC\x81";        // U+0301 combining acute (Mn)
  const std::string circle = "\xE2\x83\x9D";  // U+20DD combining enclosing circle (Me)
  // नमस्ते: three letters, U+094D virama (Mn), a letter, U+0947 vowel sign (Mn).
  const std::string na = "\xE0\xA4\xA8", ma = "\xE0\xA4\xAE", sa = "\xE0\xA4\xB8", virama = "\xE0\xA5\x8D",
                    ta = "\xE0\xA4\xA4", e = "\xE0\xA5\x87";
  const std::string namaste = na + ma + sa + virama + ta + e;
  struct Row {
    std::string text;
    V qwen35, qwen2;
  };
  const Row rows[] = {
      {"q" + acute + "x", {"q" + acute + "x"}, {"q", acute + "x"}},  // qwen2: the mark prefixes "x"
      {" " + acute + "lead", {" " + acute + "lead"}, {" " + acute, "lead"}},
      {"a" + circle, {"a" + circle}, {"a", circle}},
      {namaste, {namaste}, {na + ma + sa, virama + ta, e}},
      // A mark right after punctuation: one piece either way, by different alternatives
      // (qwen35: punctuation as the word prefix; qwen2: one punctuation run) ...
      {"!" + acute, {"!" + acute}, {"!" + acute}},
      // ... but a punctuation run stops before a mark in qwen35.
      {"!!" + acute, {"!!", acute}, {"!!" + acute}},
      // Marks never join digits, newlines or a preceding word across a space.
      {"1" + acute, {"1", acute}, {"1", acute}},
      {"\n" + acute, {"\n", acute}, {"\n", acute}},
      {"a " + acute, {"a", " " + acute}, {"a", " " + acute}},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(split(row.text, "qwen35"), row.qwen35) << row.text;
    EXPECT_EQ(split(row.text, "qwen2"), row.qwen2) << row.text;
  }
}

TEST(PreTokenizer, Qwen35SplitsTextWithoutMarksLikeQwen2) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("Hello world", "qwen35"), (V{"Hello", " world"}));
  EXPECT_EQ(split("I'M 12345 \n\n  x", "qwen35"), (V{"I", "'M", " ", "1", "2", "3", "4", "5", " \n\n", " ", " x"}));
  EXPECT_EQ(split("a  \tb", "qwen35"), (V{"a", "  ", "\tb"}));
  EXPECT_EQ(split("x!!\n\ny", "qwen35"), (V{"x", "!!\n\n", "y"}));
  EXPECT_EQ(split("we'LL don't", "qwen35"), (V{"we", "'LL", " don", "'t"}));
  EXPECT_EQ(split("\xE6\x9D\xB1\xE4\xBA\xAC 3.5", "qwen35"), (V{"\xE6\x9D\xB1\xE4\xBA\xAC", " ", "3", ".", "5"}));  // 東京
  EXPECT_EQ(split("x!\xC2\x85", "qwen35"), (V{"x", "!", "\xC2\x85"}));  // NEL is whitespace, as in qwen2
  EXPECT_EQ(split("", "qwen35"), V{});
}

VocabData vocab_with(std::vector<std::pair<std::string, int32_t>> extra) {
  VocabData v = make_byte_vocab();
  for (auto& [text, type] : extra) {
    v.tokens.push_back(text);
    v.token_types.push_back(type);
  }
  return v;
}

TEST(Tokenizer, AddedTokensMatchLeftmostLongest) {
  Tokenizer tok(vocab_with({{"<|im", kTokenUserDefined}, {"<|im_start|>x", kTokenUserDefined}}));
  int32_t im = *tok.find_token("<|im"), im_start = *tok.find_token("<|im_start|>"),
          im_start_x = *tok.find_token("<|im_start|>x");
  EXPECT_EQ(tok.encode("<|im_start|>x"), std::vector<int32_t>{im_start_x});
  EXPECT_EQ(tok.encode("<|im_start|>y").front(), im_start);
  EXPECT_EQ(tok.encode("<|imp").front(), im);
  // Without special parsing the control token is text, the user-defined ones still match.
  auto plain = tok.encode("<|im_start|>y", false);
  EXPECT_EQ(plain.front(), im);
  EXPECT_EQ(tok.decode(plain), "<|im_start|>y");
}

TEST(Tokenizer, DecodeAndTokenText) {
  Tokenizer tok(make_byte_vocab());
  auto ids = tok.encode("<|im_start|>user\n hi<|im_end|>");
  EXPECT_EQ(tok.decode(ids), "<|im_start|>user\n hi<|im_end|>");
  EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), "user\n hi");
  EXPECT_EQ(tok.token_text(*tok.find_token(byte_to_piece(' '))), "\xC4\xA0");
  EXPECT_EQ(tok.token_bytes(*tok.find_token(byte_to_piece(' '))), " ");
  EXPECT_THROW(tok.token_text(-1), Error);
  EXPECT_THROW(tok.token_bytes(int32_t(tok.vocab_size())), Error);
  EXPECT_TRUE(tok.encode("").empty());
}

TEST(Tokenizer, InvalidUtf8IsRepairedNeverCrashes) {
  Tokenizer tok(make_byte_vocab());
  std::string bad = "ok\xFF\xE2\x82" "x\xF0\x9F\x98";
  auto ids = tok.encode(bad);
  EXPECT_EQ(tok.decode(ids), repair_utf8(bad));
  EXPECT_EQ(ids, tok.encode(repair_utf8(bad)));
  std::string all;
  for (int b = 0; b < 256; ++b) all += char(b);
  EXPECT_EQ(tok.decode(tok.encode(all)), repair_utf8(all));
}

TEST(StreamDecoder, EmitsWholeCharactersOnly) {
  Tokenizer tok(make_byte_vocab());  // byte-level: emoji and CJK become several byte tokens
  std::string text = "Hi 😀 世界 👨‍👩‍👧‍👦 é<|im_end|>";
  auto ids = tok.encode(text);
  StreamDecoder decoder(tok);
  std::string joined;
  size_t empty_pushes = 0;
  for (int32_t id : ids) {
    std::string piece = decoder.push(id);
    EXPECT_TRUE(is_valid_utf8(piece));
    empty_pushes += piece.empty();
    joined += piece;
  }
  joined += decoder.flush();
  EXPECT_EQ(joined, text);
  EXPECT_GT(empty_pushes, 3u);  // partial characters were held back
  StreamDecoder skipping(tok, /*skip_special=*/true);
  std::string visible;
  for (int32_t id : ids) visible += skipping.push(id);
  EXPECT_EQ(visible + skipping.flush(), "Hi 😀 世界 👨‍👩‍👧‍👦 é");
}

TEST(StreamDecoder, FlushesAnUnfinishedCharacterAsReplacement) {
  Tokenizer tok(make_byte_vocab());
  StreamDecoder decoder(tok);
  int32_t f0 = *tok.find_token(byte_to_piece(0xF0)), x9f = *tok.find_token(byte_to_piece(0x9F));
  EXPECT_EQ(decoder.push(f0), "");
  EXPECT_EQ(decoder.push(x9f), "");
  EXPECT_EQ(decoder.flush(), "\xEF\xBF\xBD");
  // A byte that can never complete is replaced at once.
  int32_t ff = *tok.find_token(byte_to_piece(0xFF));
  EXPECT_EQ(decoder.push(ff), "\xEF\xBF\xBD");
  EXPECT_EQ(decoder.push(*tok.find_token("a")), "a");
}

TEST(Tokenizer, Qwen3KnownIds) {
  if (!oracle_installed()) return;
  const Tokenizer& tok = qwen3_tokenizer();
  EXPECT_EQ(tok.encode("Hello world"), (std::vector<int32_t>{9707, 1879}));
  EXPECT_EQ(tok.encode("<|im_start|>user\nhi<|im_end|>"), (std::vector<int32_t>{151644, 872, 198, 6023, 151645}));
  EXPECT_EQ(tok.eos_id(), 151645);
  EXPECT_TRUE(tok.is_eog(151643));
  EXPECT_TRUE(tok.is_eog(151645));
  EXPECT_FALSE(tok.is_eog(151644));
}

}  // namespace
}  // namespace trit::test

namespace trit::test {
namespace {

TEST(Tokenizer, SharedBetweenThreadsGivesTheSameIds) {
  tokenizer::Tokenizer tok(tokenizer::make_byte_vocab());
  std::vector<std::string> texts = {"The engine reads the answer.", "naïve café 😀 世界", "  \n\n x!!\t<think>",
                                    std::string(3000, 'a') + " tail"};
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        size_t i = size_t(round + t) % texts.size();
        if (tok.encode(texts[i]) != expected[i]) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace trit::test
