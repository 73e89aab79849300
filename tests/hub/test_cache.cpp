// The cache root from the environment, listing, and removal.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/test_util.h"
#include "hub/cache.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace trit::hub {
namespace {

// Sets or unsets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_.c_str(), old_.c_str(), 1); else unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

void touch(const fs::path& p, size_t size) {
  fs::create_directories(p.parent_path());
  test::write_file(p.string(), std::string(size, 'x'));
}

TEST(Cache, RootComesFromTritCacheThenXdgThenHome) {
  ScopedEnv trit_cache("TRIT_CACHE", "/tmp/tc");
  ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
  ScopedEnv home("HOME", "/tmp/home");
  EXPECT_EQ(cache_dir(), fs::path("/tmp/tc"));
  {
    ScopedEnv no_trit("TRIT_CACHE", nullptr);
    EXPECT_EQ(cache_dir(), fs::path("/tmp/xdg/trit"));
    ScopedEnv no_xdg("XDG_CACHE_HOME", "");
    EXPECT_EQ(cache_dir(), fs::path("/tmp/home/.cache/trit"));
    ScopedEnv no_home("HOME", nullptr);
    EXPECT_THROW(cache_dir(), Error);
  }
}

TEST(Cache, ListsCompleteAndPartialFilesByName) {
  fs::path root = test::scratch_dir();
  EXPECT_TRUE(list_cache(root / "absent").empty());
  touch(cached_path(root, parse_hf_ref("o/r:b.gguf")), 10);
  touch(cached_path(root, parse_hf_ref("o/r:sub/a.gguf")), 20);
  touch(root / "hf/o/r2/c.gguf.part", 5);
  touch(root / "hf/o/r2/c.gguf.part.json", 3);
  auto models = list_cache(root);
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].name, "o/r:b.gguf");
  EXPECT_EQ(models[0].size, 10u);
  EXPECT_TRUE(models[0].complete);
  EXPECT_EQ(models[1].name, "o/r:sub/a.gguf");
  EXPECT_EQ(models[2].name, "o/r2:c.gguf");
  EXPECT_FALSE(models[2].complete);
  EXPECT_EQ(models[2].path, root / "hf/o/r2/c.gguf.part");
}

// An empty .part (what a failed request used to leave) has nothing to resume: not listed, so
// `trit models` never shows it next to the models.
TEST(Cache, AnEmptyPartFileIsNotListed) {
  fs::path root = test::scratch_dir();
  touch(cached_path(root, parse_hf_ref("o/r:b.gguf")), 10);
  touch(root / "hf/o/r/empty.gguf.part", 0);
  touch(root / "hf/o/r/empty.gguf.part.json", 3);
  touch(root / "hf/o/r3/bare.gguf.part", 0);
  auto models = list_cache(root);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].name, "o/r:b.gguf");
}

TEST(Cache, RemovesByFullNameRepoOrUniqueFileName) {
  fs::path root = test::scratch_dir();
  touch(root / "hf/o/r/a.gguf", 1);
  touch(root / "hf/o/r/b.gguf", 1);
  touch(root / "hf/o/r/b.gguf.part", 1);
  touch(root / "hf/o/r/b.gguf.part.json", 1);
  touch(root / "hf/p/q/a.gguf", 1);
  touch(root / "hf/p/s/only.gguf", 1);

  auto removed = remove_cached(root, "o/r:b.gguf");
  EXPECT_EQ(removed.size(), 3u);
  EXPECT_FALSE(fs::exists(root / "hf/o/r/b.gguf.part"));
  EXPECT_TRUE(fs::exists(root / "hf/o/r/a.gguf"));

  try {
    remove_cached(root, "a.gguf");
    ADD_FAILURE() << "an ambiguous bare name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("o/r:a.gguf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p/q:a.gguf"), std::string::npos) << e.what();
  }
  EXPECT_EQ(remove_cached(root, "only.gguf").size(), 1u);
  EXPECT_FALSE(fs::exists(root / "hf/p/s")) << "empty repo folders are pruned";
  EXPECT_EQ(remove_cached(root, "p/q").size(), 1u);
  EXPECT_THROW(remove_cached(root, "nothing/here"), Error);
  EXPECT_THROW(remove_cached(root, "missing.gguf"), Error);
  ASSERT_EQ(list_cache(root).size(), 1u);
  EXPECT_EQ(list_cache(root)[0].name, "o/r:a.gguf");
}

}  // namespace
}  // namespace trit::hub
