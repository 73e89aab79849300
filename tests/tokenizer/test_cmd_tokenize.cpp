// `trit tokenize` end to end on a GGUF made by mkmodel with the real Qwen3 tokenizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "oracle_support.h"

namespace trit::test {
namespace {

std::string qwen3_model() {
  return make_model("tiny", "q2_0", 1,
                    "--tokenizer " + shell_quote(oracle_tokenizer_json()) + " --tokenizer-config " +
                        shell_quote(oracle_tokenizer_config()));
}

TEST(CmdTokenize, PrintsIdsAsJson) {
  if (!oracle_installed()) return;
  std::string model = shell_quote(qwen3_model());
  auto r = run_trit("tokenize -m " + model + " " + shell_quote("Hello world<|im_end|>"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[9707, 1879, 151645]\n");
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(run_trit("tokenize --ids -m " + model + " " + shell_quote("Hello world<|im_end|>")).out));

  auto plain = run_trit("tokenize --no-parse-special -m " + model + " " + shell_quote("<|im_end|>"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, "[27, 91, 318, 6213, 91, 29]\n");

  auto show = run_trit("tokenize --show -m " + model + " " + shell_quote("Hi 😀"));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["id"], 90316);
  EXPECT_EQ(j[1]["text"], " 😀");
  EXPECT_EQ(j[1]["token"], "ĠðŁĺĢ");
}

TEST(CmdTokenize, ReadsAFileByteForByte) {
  if (!oracle_installed()) return;
  std::string path = scratch_dir() + "/in.txt";
  write_file(path, "a\nb\n");
  auto r = run_trit("tokenize -m " + shell_quote(qwen3_model()) + " -f " + shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[64, 198, 65, 198]\n");
}

TEST(CmdTokenize, ErrorsAreOneLine) {
  auto missing = run_trit("tokenize -m /nonexistent/model.gguf hello");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("error:"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  if (!oracle_installed()) return;
  auto both = run_trit("tokenize -m " + shell_quote(qwen3_model()) + " -f /etc/hostname text");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("either TEXT or -f FILE"), std::string::npos) << both.err;
  auto unreadable = run_trit("tokenize -m " + shell_quote(qwen3_model()) + " -f /nonexistent/file.txt");
  EXPECT_NE(unreadable.exit_code, 0);
  EXPECT_NE(unreadable.err.find("cannot read"), std::string::npos) << unreadable.err;
}

}  // namespace
}  // namespace trit::test
