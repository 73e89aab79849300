// End to end through the trit binary: `trit run -hf` against the fake hub serving a mkmodel
// file (the local-hub setup), a cut connection resumed, 404 and 401 as one-line errors,
// and the default model when the hub cannot be reached.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/test_util.h"
#include "fake_hub.h"

namespace fs = std::filesystem;

namespace trit::test {
namespace {

class CliHf : public ::testing::Test {
 protected:
  void SetUp() override {
    cache = scratch_dir();
    model_bytes = read_file(make_model("tiny", "q2_0"));
    ASSERT_GT(model_bytes.size(), 1000u);
  }

  // `trit ARGS` with the cache, endpoint and token given by the environment of this test only.
  CommandResult trit(const std::string& args, const std::string& env = "") {
    return run_command("env -u HF_TOKEN -u HF_ENDPOINT TRIT_CACHE=" + shell_quote(cache) + " " + env + " " +
                       shell_quote(trit_bin()) + " " + args);
  }

  FakeFile tiny(const std::string& repo, const std::string& file) {
    FakeFile f;
    f.owner = "test-owner";
    f.repo = repo;
    f.file = file;
    f.bytes = model_bytes;
    return f;
  }

  FakeHub hub;
  std::string cache;
  std::string model_bytes;
};

TEST_F(CliHf, RunDownloadsAMkmodelFileResumingACutAndThenUsesTheCache) {
  FakeFile f = tiny("Tiny-gguf", "Tiny-Q2_0.gguf");
  f.cut_unranged_get = true;
  hub.add(f);
  std::string args = "run -hf test-owner/Tiny-gguf --hf-endpoint " + hub.endpoint() + " -p hi -n 2";
  CommandResult first = trit(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("Tiny-Q2_0.gguf: started"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("connection lost"), std::string::npos) << first.err;
  EXPECT_EQ(first.err.find('\r'), std::string::npos) << "no bar when stderr is not a terminal";
  EXPECT_EQ(read_file(cache + "/hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf"), model_bytes);
  auto gets = hub.requests("GET", "/cdn/");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[1].range, "bytes=" + std::to_string(model_bytes.size() / 2) + "-");

  size_t before = hub.requests().size();
  CommandResult second = trit(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.err.find("started"), std::string::npos) << second.err;
  EXPECT_EQ(hub.requests().size(), before) << "a cached model needs no request";
}

TEST_F(CliHf, MissingFileAndRefusedAccessAreOneLineErrors) {
  FakeFile f = tiny("Private-gguf", "Private-Q2_0.gguf");
  f.required_token = "hf_good";
  hub.add(f);
  std::string endpoint = " --hf-endpoint " + hub.endpoint();

  CommandResult missing = trit("run -p hi -hf test-owner/Private-gguf:Private-Q2_0.gguf" + endpoint);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: the hub refused access to " + hub.endpoint() +
                             "/test-owner/Private-gguf/resolve/main/Private-Q2_0.gguf (HTTP 401): the repo may be "
                             "private or gated, or may not exist; set HF_TOKEN to a Hugging Face access "
                             "token that can read it\n");

  CommandResult refused = trit("run -p hi -hf test-owner/Private-gguf" + endpoint, "HF_TOKEN=hf_bad");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("error: the hub refused the token in HF_TOKEN"), std::string::npos) << refused.err;

  CommandResult ok = trit("run -p hi -n 1 -hf test-owner/Private-gguf" + endpoint, "HF_TOKEN=hf_good");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  hub.add(tiny("Tiny-gguf", "Tiny-Q2_0.gguf"));
  CommandResult not_found = trit("run -p hi -hf test-owner/Tiny-gguf:Nope.gguf" + endpoint);
  EXPECT_EQ(not_found.exit_code, 1);
  EXPECT_EQ(not_found.err, "error: model file not found on the hub: " + hub.endpoint() +
                               "/test-owner/Tiny-gguf/resolve/main/Nope.gguf\n");
  for (const auto& m : fs::recursive_directory_iterator(cache)) {
    if (m.is_regular_file()) {
      EXPECT_EQ(m.path().filename(), "Private-Q2_0.gguf") << m.path();
    }
  }
}

TEST_F(CliHf, DefaultModelOfflineExplainsHowToContinue) {
  CommandResult r = trit("run -p hi", "HF_ENDPOINT=" + unreachable_endpoint());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: no model given, and the default model Ternary-Bonsai-4B is not in the cache"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("you appear to be offline"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("trit mkmodel"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace trit::test
