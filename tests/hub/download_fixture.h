// The fixture of the download tests: a fake hub, a scratch cache, quick retries, no progress.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "fake_hub.h"
#include "hub/resolve.h"
#include "util/error.h"

namespace trit::hub {

constexpr size_t kPayloadSize = (3 << 20) + 12345;  // not a multiple of any buffer size

class Download : public ::testing::Test {
 protected:
  void SetUp() override {
    cache = test::scratch_dir();
    payload = test::fake_gguf_bytes(kPayloadSize, 7);
    options.endpoint = hub.endpoint();
    options.cache_root = cache;
    options.download.progress = Progress::Mode::off;
    options.download.retry_delay_s = 0.01;
    options.download.connect_timeout_s = 5;
    options.download.stall_timeout_s = 5;
  }

  test::FakeFile file(const std::string& repo, const std::string& name) {
    test::FakeFile f;
    f.owner = "test-owner";
    f.repo = repo;
    f.file = name;
    f.bytes = payload;
    return f;
  }

  // Files under the cache folder whose names do not end in .part or .part.json.
  std::vector<std::filesystem::path> complete_looking_files() const {
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::exists(cache)) return out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(cache)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.find(".part") == std::string::npos) out.push_back(e.path());
    }
    return out;
  }

  std::string error_of(const HfRef& ref) {
    try {
      fetch_model(ref, options);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << ref.to_string();
    return "";
  }

  test::FakeHub hub;
  std::filesystem::path cache;
  std::string payload;
  FetchOptions options;
};

}  // namespace trit::hub
