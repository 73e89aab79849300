// Downloads that must not put anything into the cache: a web page or other non-GGUF body where a
// .gguf was asked for, a size of 0, a size the disk cannot hold, a 500 or a redirect loop before
// the first byte (no empty .part left), and errors that must never be reported as "done" (a
// checksum mismatch, a write error).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>

#include "common/test_util.h"
#include "download_fixture.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/resolve.h"
#include "hub/sha256.h"

namespace fs = std::filesystem;

namespace trit::hub {
namespace {

class DownloadRefusal : public Download {
 protected:
  // Nothing for this file in the cache: no file, no .part, no record, and `trit models` empty.
  void expect_nothing_kept(const HfRef& ref) {
    fs::path dest = cached_path(cache, ref);
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_FALSE(fs::exists(dest.string() + kPartSuffix));
    EXPECT_FALSE(fs::exists(dest.string() + kPartMetaSuffix));
    EXPECT_TRUE(complete_looking_files().empty());
    for (const auto& m : list_cache(cache)) ADD_FAILURE() << "listed by trit models: " << m.name;
  }

  // Progress written as plain lines to a file, read back by progress_text().
  void capture_progress() {
    progress_file = std::tmpfile();
    ASSERT_NE(progress_file, nullptr);
    options.download.progress = Progress::Mode::lines;
    options.download.progress_out = progress_file;
  }
  std::string progress_text() {
    std::fflush(progress_file);
    std::rewind(progress_file);
    std::string text(1 << 16, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), progress_file));
    return text;
  }
  void TearDown() override {
    if (progress_file != nullptr) std::fclose(progress_file);
  }

  FILE* progress_file = nullptr;
};

TEST_F(DownloadRefusal, AnHtmlPageIsNotAcceptedAsTheModel) {
  hub.add([&] {
    auto f = file("Page-gguf", "Page-Q2_0.gguf");
    f.bytes = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in to continue</body></html>\n";
    f.content_type = "text/html; charset=utf-8";
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Page-gguf:Page-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("with an HTML page, not a GGUF file (check the repo and file name"), std::string::npos)
      << error;
  expect_nothing_kept(ref);
  // Nothing was cached, so the next run asks the hub again instead of failing on a bad file.
  size_t gets = hub.requests("GET", "/cdn/").size();
  error_of(ref);
  EXPECT_EQ(hub.requests("GET", "/cdn/").size(), gets + 1);
}

TEST_F(DownloadRefusal, OtherNonGgufBytesAreQuotedShortly) {
  hub.add([&] {
    auto f = file("Zip-gguf", "Zip-Q2_0.gguf");
    f.bytes = std::string("PK\x03\x04", 4) + std::string(100000, 'z');
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Zip-gguf:Zip-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("with data that is not a GGUF file (it begins \"PK\\x03\\x04zzzz"), std::string::npos)
      << error;
  EXPECT_LT(error.size(), 400u) << error;
  expect_nothing_kept(ref);
}

TEST_F(DownloadRefusal, AnAnnouncedSizeOfZeroIsRefusedBeforeAnyBody) {
  hub.add([&] {
    auto f = file("Empty-gguf", "Empty-Q2_0.gguf");
    f.claimed_size = 0;
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Empty-gguf:Empty-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("reports a size of 0 bytes"), std::string::npos) << error;
  EXPECT_TRUE(hub.requests("GET", "/cdn/").empty());
  expect_nothing_kept(ref);
}

TEST_F(DownloadRefusal, AServerErrorBeforeTheFirstByteLeavesNoPartFile) {
  hub.add([&] {
    auto f = file("Down-gguf", "Down-Q2_0.gguf");
    f.cdn_status = 500;
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Down-gguf:Down-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("HTTP 500"), std::string::npos) << error;
  expect_nothing_kept(ref);
}

TEST_F(DownloadRefusal, ARedirectLoopLeavesNoPartFile) {
  hub.add([&] {
    auto f = file("Loop-gguf", "Loop-Q2_0.gguf");
    f.cdn_redirect_loop = true;
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Loop-gguf:Loop-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("redirect"), std::string::npos) << error;
  expect_nothing_kept(ref);
}

// Only empty .part files go: one with bytes to resume from stays, with its record.
TEST_F(DownloadRefusal, AServerErrorKeepsAResumablePartFile) {
  hub.add([&] {
    auto f = file("Down-gguf", "Down-Q2_0.gguf");
    f.cdn_status = 500;
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Down-gguf:Down-Q2_0.gguf");
  std::string url = file_url(hub.endpoint(), ref);
  fs::path dest = cached_path(cache, ref);
  RemoteFileInfo info = probe_remote_file(url, options.download);
  fs::create_directories(dest.parent_path());
  test::write_file(dest.string() + kPartSuffix, payload.substr(0, 1000));
  const std::string record = "{\"etag\":\"" + info.etag + "\",\"sha256\":\"" + info.sha256 +
                             "\",\"size\":" + std::to_string(payload.size()) + ",\"url\":\"" + url + "\"}";
  test::write_file(dest.string() + kPartMetaSuffix, record);
  std::string error = error_of(ref);
  EXPECT_NE(error.find("HTTP 500"), std::string::npos) << error;
  EXPECT_EQ(test::read_file(dest.string() + kPartSuffix), payload.substr(0, 1000));
  EXPECT_TRUE(fs::exists(dest.string() + kPartMetaSuffix));
  auto gets = hub.requests("GET", "/cdn/");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].range, "bytes=1000-");
}

TEST_F(DownloadRefusal, ASizeTheDiskCannotHoldIsRefusedBeforeWriting) {
  const long long huge = 1LL << 60;  // 1 EiB: more than any test machine has free
  hub.add([&] {
    auto f = file("Huge-gguf", "Huge-Q2_0.gguf");
    f.claimed_size = huge;
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Huge-gguf:Huge-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("not enough free space"), std::string::npos) << error;
  EXPECT_NE(error.find("(" + std::to_string(huge) + " bytes)"), std::string::npos) << error;
  EXPECT_NE(error.find("bytes) free"), std::string::npos) << error;
  EXPECT_TRUE(hub.requests("GET", "/cdn/").empty());
  expect_nothing_kept(ref);
}

TEST_F(DownloadRefusal, AChecksumMismatchIsNeverReportedAsDone) {
  hub.add([&] {
    auto f = file("Bad-gguf", "Bad-Q2_0.gguf");
    f.claimed_sha256 = sha256_hex("something else", 14);
    return f;
  }());
  capture_progress();
  std::string error = error_of(parse_hf_ref("test-owner/Bad-gguf:Bad-Q2_0.gguf"));
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
  std::string text = progress_text();
  EXPECT_EQ(text.find(": done"), std::string::npos) << text;
  EXPECT_NE(text.find("Bad-Q2_0.gguf: failed"), std::string::npos) << text;
}

// A write error (simulated with RLIMIT_FSIZE, which makes writes past 1 MiB fail with EFBIG as a
// full disk fails them with ENOSPC; no root or mount needed) names the file and is not "done".
TEST_F(DownloadRefusal, AWriteErrorNamesThePathAndIsNotDone) {
  hub.add(file("Big-gguf", "Big-Q2_0.gguf"));
  HfRef ref = parse_hf_ref("test-owner/Big-gguf:Big-Q2_0.gguf");
  fs::path part = cached_path(cache, ref).string() + kPartSuffix;
  capture_progress();
  std::string error;
  {
    struct Limit {
      rlimit saved{};
      void (*saved_handler)(int) = nullptr;
      Limit() {
        getrlimit(RLIMIT_FSIZE, &saved);
        saved_handler = signal(SIGXFSZ, SIG_IGN);  // the write fails instead of killing us
        rlimit small = saved;
        small.rlim_cur = 1 << 20;
        setrlimit(RLIMIT_FSIZE, &small);
      }
      ~Limit() {
        setrlimit(RLIMIT_FSIZE, &saved);
        signal(SIGXFSZ, saved_handler);
      }
    } limit;
    error = error_of(ref);
  }
  EXPECT_NE(error.find("cannot write " + part.string() + ": File too large"), std::string::npos) << error;
  std::string text = progress_text();
  EXPECT_EQ(text.find(": done"), std::string::npos) << text;
  EXPECT_NE(text.find("Big-Q2_0.gguf: failed"), std::string::npos) << text;
  EXPECT_TRUE(complete_looking_files().empty());
}

}  // namespace
}  // namespace trit::hub
