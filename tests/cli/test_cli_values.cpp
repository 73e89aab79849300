// Option values and file contents a user can get wrong: each is refused (or capped, or warned
// about) with a message in the option's own terms, never library text, a 309-digit range, a
// silent "unlimited", or raw escape sequences on the terminal.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"

using namespace trit;

namespace {

std::string tiny() { return test::make_model("tiny", "q2_0", 3); }

std::string run_args(const std::string& extra) {
  return "run -m " + test::shell_quote(tiny()) + " --raw -p abc -n 1 --temp 0 " + extra;
}

// A copy of the tiny model with `find` replaced by `put` (same length) in its bytes.
std::string patched_model(const std::string& name, const std::string& find, const std::string& put) {
  std::string bytes = test::read_file(tiny());
  const size_t at = bytes.find(find);
  EXPECT_NE(at, std::string::npos) << find;
  if (at != std::string::npos) bytes.replace(at, put.size(), put);
  const std::string path = test::scratch_dir() + "/" + name;
  test::write_file(path, bytes);
  return path;
}

TEST(CliValues, BadNumbersAreRefusedInTheOptionsTerms) {
  struct Case {
    std::string args, expect;
  };
  const Case cases[] = {
      {"-n -5", "from -1"},
      {"-c 99999999999999999999", "too large"},
      {"-c -1", "too small"},
      {"-b 0", "too small"},
      {"-t 100000", "threads"},
      {"--temp nan", "not a number"},
      {"--temp -0.5", "too small"},
      {"--repeat-penalty -1", "too small"},
      {"--repeat-penalty 0", "too small"},
      {"--top-p nan", "not a number"},
  };
  for (const Case& k : cases) {
    test::CommandResult r = test::run_trit(run_args(k.args));
    EXPECT_NE(r.exit_code, 0) << k.args << " was accepted";
    EXPECT_NE(r.err.find(k.expect), std::string::npos) << k.args << ": " << r.err;
    EXPECT_LT(r.err.size(), 400u) << k.args << ": " << r.err;
    EXPECT_EQ(r.err.find("_M_"), std::string::npos) << k.args << ": " << r.err;
  }
}

TEST(CliValues, TooManyThreadsAreCappedWithAWarning) {
  test::CommandResult r = test::run_trit(run_args("-t 1000"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("-t 1000 is more than the"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("threads 1000"), std::string::npos) << r.err;
}

TEST(CliValues, ContextBeyondTheTrainedOneIsWarnedAbout) {
  test::CommandResult info = test::run_trit("info --json " + test::shell_quote(tiny()));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const long long trained = nlohmann::json::parse(info.out)["model"]["context"].get<long long>();
  test::CommandResult within = test::run_trit(run_args("-c " + std::to_string(trained)));
  ASSERT_EQ(within.exit_code, 0) << within.err;
  EXPECT_EQ(within.err.find("trained on"), std::string::npos) << within.err;
  test::CommandResult beyond = test::run_trit(run_args("-c " + std::to_string(trained * 2)));
  ASSERT_EQ(beyond.exit_code, 0) << beyond.err;
  EXPECT_NE(beyond.err.find("tokens the model was trained on"), std::string::npos) << beyond.err;
}

TEST(CliValues, PromptFileThatIsADirectoryIsNamedSo) {
  const std::string dir = test::scratch_dir();
  test::CommandResult r = test::run_trit("run -m " + test::shell_quote(tiny()) + " -f " + test::shell_quote(dir));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
}

TEST(CliValues, RopeBaseThatIsNotFiniteIsRefusedAtLoad) {
  // rope.freq_base is a float32 (type 6) of 1e6 in the made file; +inf is 0x7f800000.
  const std::string f32_1e6("\x06\x00\x00\x00\x00\x24\x74\x49", 8);
  const std::string f32_inf("\x06\x00\x00\x00\x00\x00\x80\x7f", 8);
  const std::string model = patched_model("rope-inf.gguf", "rope.freq_base" + f32_1e6, "rope.freq_base" + f32_inf);
  test::CommandResult r = test::run_trit("run -m " + test::shell_quote(model) + " --raw -p abc -n 1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("rope.freq_base = inf"), std::string::npos) << r.err;
}

TEST(CliValues, InfoEscapesControlCharactersInMetadata) {
  const std::string model = patched_model("esc-name.gguf", "Synthetic-Ternary", "\x1b[2J\x1b]0;x\x07Ternary");
  test::CommandResult r = test::run_trit("info " + test::shell_quote(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "an escape sequence reached the terminal";
  EXPECT_EQ(r.out.find('\x07'), std::string::npos);
  EXPECT_NE(r.out.find("\\x1b[2J\\x1b]0;x\\x07Ternary"), std::string::npos) << r.out;
}

}  // namespace
