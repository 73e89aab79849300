// The shared -m / -hf / --hf-endpoint options (src/cli/model_ref.cpp), against the fake hub,
// and `trit models` on a cache made by real downloads.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/test_util.h"
#include "fake_hub.h"
#include "hub/cache.h"
#include "util/error.h"

// cli/ sources are compiled into the trit binary only, not a library; this test compiles the
// one file it checks.
#include "cli/model_ref.cpp"

namespace fs = std::filesystem;

namespace trit::cli {
namespace {

class ModelRef : public ::testing::Test {
 protected:
  void SetUp() override {
    cache = test::scratch_dir();
    setenv("TRIT_CACHE", cache.c_str(), 1);
    unsetenv("HF_ENDPOINT");
    unsetenv("HF_TOKEN");
  }
  void TearDown() override { unsetenv("TRIT_CACHE"); }

  std::string error_of(const ModelRefOptions& options,
                       ModelRefOptions::WhenNone when_none = ModelRefOptions::WhenNone::use_default) {
    try {
      std::string path = options.resolve(when_none);
      ADD_FAILURE() << "resolved to " << path;
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  std::string cache;
};

TEST_F(ModelRef, ParsesTheSharedOptionsIncludingSingleDashHf) {
  CLI::App app;
  ModelRefOptions options;
  options.add_to(app);
  std::vector<std::string> args = {"trit", "-hf", "o/r:f.gguf", "--hf-endpoint", "http://127.0.0.1:1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  rewrite_single_dash_long_options(static_cast<int>(argv.size()), argv.data());
  EXPECT_STREQ(argv[1], "--hf");
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(options.hf, "o/r:f.gguf");
  EXPECT_EQ(options.hf_endpoint, "http://127.0.0.1:1");
  EXPECT_TRUE(options.given());

  std::vector<std::string> args2 = {"trit", "-hf=o/r", "--", "-hf"};
  std::vector<char*> argv2;
  for (auto& a : args2) argv2.push_back(a.data());
  rewrite_single_dash_long_options(static_cast<int>(argv2.size()), argv2.data());
  EXPECT_STREQ(argv2[1], "--hf=o/r");
  EXPECT_STREQ(argv2[3], "-hf") << "arguments after -- are left alone";
}

TEST_F(ModelRef, LocalPathIsCheckedAndRepoLikePathsGetAHint) {
  ModelRefOptions options;
  std::string file = cache + "/m.gguf";
  test::write_file(file, "GGUF");
  options.model = file;
  EXPECT_EQ(options.resolve(), file);
  options.model = cache + "/absent.gguf";
  EXPECT_EQ(error_of(options), "model file not found: " + cache + "/absent.gguf");
  options.model = "prism-ml/Ternary-Bonsai-4B-gguf";
  EXPECT_NE(error_of(options).find("use -hf prism-ml/Ternary-Bonsai-4B-gguf"), std::string::npos);
  options.hf = "o/r";
  EXPECT_EQ(error_of(options), "give either -m or -hf, not both");
}

TEST_F(ModelRef, NoModelIsRefusedWhereTheCommandHasNoDefault) {
  ModelRefOptions options;
  EXPECT_EQ(error_of(options, ModelRefOptions::WhenNone::refuse),
            "no model given: pass -m FILE.gguf or -hf OWNER/REPO[:FILE]");
}

TEST_F(ModelRef, HfDownloadsIntoTheCacheThroughTheEndpointFlag) {
  test::FakeHub hub;
  test::FakeFile f;
  f.owner = "test-owner";
  f.repo = "Tiny-gguf";
  f.file = "Tiny-Q2_0.gguf";
  f.bytes = test::fake_gguf_bytes(100000, 3);
  hub.add(f);
  ModelRefOptions options;
  options.hf = "test-owner/Tiny-gguf";
  options.hf_endpoint = hub.endpoint();
  EXPECT_EQ(options.resolve(), cache + "/hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf");
  EXPECT_EQ(test::read_file(cache + "/hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf"), f.bytes);

  // HF_ENDPOINT works the same way when the flag is absent.
  options.hf_endpoint.clear();
  options.hf = "test-owner/Tiny-gguf:Missing.gguf";
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  EXPECT_EQ(error_of(options), "model file not found on the hub: " + hub.endpoint() +
                                   "/test-owner/Tiny-gguf/resolve/main/Missing.gguf");
  unsetenv("HF_ENDPOINT");
}

TEST_F(ModelRef, DefaultModelComesFromTheCacheWithoutNetwork) {
  std::string path = cache + "/hf/prism-ml/Ternary-Bonsai-4B-gguf/Ternary-Bonsai-4B-PQ2_0.gguf";
  fs::create_directories(fs::path(path).parent_path());
  test::write_file(path, "GGUF");
  ModelRefOptions options;
  options.hf_endpoint = test::unreachable_endpoint();
  EXPECT_EQ(options.resolve(), path);
}

TEST_F(ModelRef, DefaultModelOfflineSaysSoAndHowToContinue) {
  ModelRefOptions options;
  options.hf_endpoint = test::unreachable_endpoint();
  std::string error = error_of(options);
  EXPECT_NE(error.find("default model Ternary-Bonsai-4B"), std::string::npos) << error;
  EXPECT_NE(error.find("you appear to be offline"), std::string::npos) << error;
  EXPECT_NE(error.find("-m PATH"), std::string::npos) << error;
  EXPECT_NE(error.find("trit mkmodel"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line";
  options.hf = "o/r:f.gguf";
  error = error_of(options);
  EXPECT_NE(error.find("cannot download o/r:f.gguf: you appear to be offline"), std::string::npos) << error;
}

TEST_F(ModelRef, ModelsCommandListsAndRemovesCachedModels) {
  test::FakeHub hub;
  test::FakeFile real;
  real.owner = "test-owner";
  real.repo = "Tiny-gguf";
  real.file = "Tiny-Q2_0.gguf";
  real.bytes = test::tiny_gguf_bytes(4096, cache + "/tiny.gguf");
  hub.add(real);
  ModelRefOptions options;
  options.hf = "test-owner/Tiny-gguf";
  options.hf_endpoint = hub.endpoint();
  options.resolve();
  fs::create_directories(cache + "/hf/o/r");
  test::write_file(cache + "/hf/o/r/partial.gguf.part", std::string(1000, 'x'));

  std::string env = "TRIT_CACHE=" + test::shell_quote(cache) + " ";
  auto list = test::run_command(env + test::shell_quote(test::trit_bin()) + " models");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("model cache: " + cache), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("qwen3, f32 (1)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("o/r:partial.gguf"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("partial download"), std::string::npos) << list.out;

  auto rm = test::run_command(env + test::shell_quote(test::trit_bin()) + " models rm Tiny-Q2_0.gguf");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed " + cache + "/hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf"), std::string::npos)
      << rm.out;
  EXPECT_FALSE(fs::exists(cache + "/hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf"));

  auto again = test::run_command(env + test::shell_quote(test::trit_bin()) + " models rm Tiny-Q2_0.gguf");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("error: no cached model named 'Tiny-Q2_0.gguf'"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace trit::cli
