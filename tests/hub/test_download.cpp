// Downloads against the in-process fake hub (loopback only, bounded timeouts): fresh download,
// resume after a cut connection, 404, 401 with and without a token, checksum mismatch, servers
// that ignore Range, stale partial files, and progress output on and off a terminal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/test_util.h"
#include "download_fixture.h"
#include "fake_hub.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/http.h"
#include "hub/resolve.h"
#include "hub/sha256.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace trit::hub {
namespace {

using test::FakeFile;
using test::FakeHub;

TEST_F(Download, FreshDownloadFollowsTheLfsRedirectAndVerifies) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  fs::path path = fetch_model(parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), options);
  EXPECT_EQ(path, cache / "hf/test-owner/Tiny-gguf/Tiny-Q2_0.gguf");
  EXPECT_EQ(test::read_file(path.string()), payload);
  EXPECT_FALSE(fs::exists(path.string() + ".part"));
  EXPECT_FALSE(fs::exists(path.string() + ".part.json"));
  EXPECT_EQ(hub.requests("HEAD", "/test-owner/Tiny-gguf/resolve/main/").size(), 1u);
  EXPECT_EQ(hub.requests("GET", "/cdn/").size(), 1u);

  // A second use is a cache hit: no request at all.
  size_t before = hub.requests().size();
  EXPECT_EQ(fetch_model(parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), options), path);
  EXPECT_EQ(hub.requests().size(), before);
}

TEST_F(Download, WithoutAFileTheApiListingPicksTheQ2_0Gguf) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0_g64.gguf"));
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  fs::path path = fetch_model(parse_hf_ref("test-owner/Tiny-gguf"), options);
  EXPECT_EQ(path.filename(), "Tiny-Q2_0.gguf");
  EXPECT_EQ(hub.requests("GET", "/api/models/test-owner/Tiny-gguf").size(), 1u);
  // Offline-friendly: once cached, the repo alone resolves without asking the API again.
  size_t before = hub.requests().size();
  EXPECT_EQ(fetch_model(parse_hf_ref("test-owner/Tiny-gguf"), options), path);
  EXPECT_EQ(hub.requests().size(), before);
}

TEST_F(Download, RepoWithoutAFittingFileNamesItsGgufFiles) {
  hub.add(file("Odd-gguf", "Odd-F16.gguf"));
  hub.add(file("Odd-gguf", "Odd-Q8_0.gguf"));
  std::string error = error_of(parse_hf_ref("test-owner/Odd-gguf"));
  EXPECT_NE(error.find("Odd-F16.gguf, Odd-Q8_0.gguf"), std::string::npos) << error;
  EXPECT_NE(error.find("-hf test-owner/Odd-gguf:FILE"), std::string::npos) << error;
}

TEST_F(Download, ACutConnectionIsResumedWithARangeRequest) {
  hub.add([&] { auto f = file("Cut-gguf", "Cut-Q2_0.gguf"); f.cut_unranged_get = true; return f; }());
  HfRef ref = parse_hf_ref("test-owner/Cut-gguf:Cut-Q2_0.gguf");
  fs::path dest = cached_path(cache, ref);

  // One attempt only: the cut leaves a .part (never a complete-looking file) and a clear error.
  options.download.max_attempts = 1;
  std::string error = error_of(ref);
  EXPECT_NE(error.find("run the command again to resume"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dest));
  ASSERT_TRUE(fs::exists(dest.string() + ".part"));
  uint64_t half = fs::file_size(dest.string() + ".part");
  EXPECT_EQ(half, payload.size() / 2);
  EXPECT_TRUE(complete_looking_files().empty());

  // The next run resumes from the .part with "Range: bytes=half-" and finishes it.
  EXPECT_EQ(fetch_model(ref, options), dest);
  EXPECT_EQ(test::read_file(dest.string()), payload);
  auto gets = hub.requests("GET", "/cdn/");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].range, "");
  EXPECT_EQ(gets[1].range, "bytes=" + std::to_string(half) + "-");
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(Download, ACutConnectionIsRetriedWithinOneRun) {
  hub.add([&] { auto f = file("Cut-gguf", "Cut-Q2_0.gguf"); f.cut_unranged_get = true; return f; }());
  fs::path path = fetch_model(parse_hf_ref("test-owner/Cut-gguf:Cut-Q2_0.gguf"), options);
  EXPECT_EQ(test::read_file(path.string()), payload);
  EXPECT_EQ(hub.requests("GET", "/cdn/").size(), 2u);
}

TEST_F(Download, MissingFileIs404WithTheUrl) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  std::string error = error_of(parse_hf_ref("test-owner/Tiny-gguf:Nope.gguf"));
  EXPECT_EQ(error, "model file not found on the hub: " + hub.endpoint() +
                       "/test-owner/Tiny-gguf/resolve/main/Nope.gguf");
  EXPECT_TRUE(complete_looking_files().empty());
  // A repo the API does not know falls back to the derived name, which is then a clear 404.
  error = error_of(parse_hf_ref("test-owner/Unknown-gguf"));
  EXPECT_NE(error.find("model file not found on the hub: " + hub.endpoint() +
                       "/test-owner/Unknown-gguf/resolve/main/Unknown-Q2_0.gguf"),
            std::string::npos)
      << error;
}

TEST_F(Download, PrivateRepoWithoutTokenSaysToSetHfToken) {
  hub.add([&] { auto f = file("Private-gguf", "Private-Q2_0.gguf"); f.required_token = "hf_good"; return f; }());
  std::string error = error_of(parse_hf_ref("test-owner/Private-gguf:Private-Q2_0.gguf"));
  EXPECT_NE(error.find("HTTP 401"), std::string::npos) << error;
  EXPECT_NE(error.find("set HF_TOKEN"), std::string::npos) << error;
  EXPECT_TRUE(complete_looking_files().empty());
  // Listing the repo through the API needs the token just the same.
  error = error_of(parse_hf_ref("test-owner/Private-gguf"));
  EXPECT_NE(error.find("set HF_TOKEN"), std::string::npos) << error;
}

TEST_F(Download, PrivateRepoWithAWrongTokenSaysTheTokenWasRefused) {
  hub.add([&] { auto f = file("Private-gguf", "Private-Q2_0.gguf"); f.required_token = "hf_good"; return f; }());
  options.download.token = "hf_wrong";
  std::string error = error_of(parse_hf_ref("test-owner/Private-gguf:Private-Q2_0.gguf"));
  EXPECT_NE(error.find("refused the token in HF_TOKEN"), std::string::npos) << error;
  EXPECT_NE(error.find("HTTP 401"), std::string::npos) << error;
  EXPECT_TRUE(complete_looking_files().empty());
}

TEST_F(Download, PrivateRepoWithTheRightTokenDownloadsAndTheTokenStaysOffTheCdn) {
  hub.add([&] { auto f = file("Private-gguf", "Private-Q2_0.gguf"); f.required_token = "hf_good"; return f; }());
  options.download.token = "hf_good";
  fs::path path = fetch_model(parse_hf_ref("test-owner/Private-gguf"), options);
  EXPECT_EQ(test::read_file(path.string()), payload);
  for (const auto& r : hub.requests("GET", "/test-owner/")) EXPECT_EQ(r.authorization, "Bearer hf_good");
  // Same host here, so curl forwards it on the redirect; the point is that the hub got it.
  EXPECT_FALSE(hub.requests("GET", "/cdn/").empty());
}

TEST_F(Download, ChecksumMismatchLeavesNothingThatLooksComplete) {
  hub.add([&] {
    auto f = file("Bad-gguf", "Bad-Q2_0.gguf");
    f.claimed_sha256 = sha256_hex("something else", 14);
    return f;
  }());
  HfRef ref = parse_hf_ref("test-owner/Bad-gguf:Bad-Q2_0.gguf");
  std::string error = error_of(ref);
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find(sha256_hex("something else", 14)), std::string::npos) << error;
  EXPECT_NE(error.find(sha256_hex(payload.data(), payload.size())), std::string::npos) << error;
  fs::path dest = cached_path(cache, ref);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  EXPECT_FALSE(fs::exists(dest.string() + ".part.json"));
  EXPECT_TRUE(complete_looking_files().empty());
  for (const auto& m : list_cache(cache)) ADD_FAILURE() << "left in the cache: " << m.name;
}

TEST_F(Download, MoreBytesThanTheHubReportedAreRefused) {
  hub.add([&] {
    auto f = file("Long-gguf", "Long-Q2_0.gguf");
    f.claimed_size = static_cast<long long>(payload.size()) - 10;
    return f;
  }());
  std::string error = error_of(parse_hf_ref("test-owner/Long-gguf:Long-Q2_0.gguf"));
  EXPECT_NE(error.find("sent more than the " + std::to_string(payload.size() - 10) + " bytes"),
            std::string::npos)
      << error;
  EXPECT_TRUE(complete_looking_files().empty());
}

TEST_F(Download, NonLfsFileWithAGitEtagIsCheckedBySizeOnly) {
  hub.add([&] { auto f = file("Plain-gguf", "Plain-Q2_0.gguf"); f.lfs = false; return f; }());
  RemoteFileInfo info = probe_remote_file(
      file_url(hub.endpoint(), parse_hf_ref("test-owner/Plain-gguf:Plain-Q2_0.gguf")), options.download);
  EXPECT_EQ(info.size, payload.size());
  EXPECT_EQ(info.etag.size(), 40u);
  EXPECT_EQ(info.sha256, "");
  fs::path path = fetch_model(parse_hf_ref("test-owner/Plain-gguf:Plain-Q2_0.gguf"), options);
  EXPECT_EQ(test::read_file(path.string()), payload);
}

TEST_F(Download, LfsFactsComeFromTheHubsRedirectNotTheCdn) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  RemoteFileInfo info = probe_remote_file(
      file_url(hub.endpoint(), parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf")), options.download);
  EXPECT_EQ(info.size, payload.size());
  EXPECT_EQ(info.sha256, sha256_hex(payload.data(), payload.size()));
  EXPECT_EQ(info.etag, info.sha256);
}

TEST_F(Download, ARenamedRepoRedirectIsFollowedWithTheToken) {
  hub.add([&] {
    auto f = file("Old-gguf", "Old-Q2_0.gguf");
    f.redirect_to = "/test-owner/New-gguf/resolve/main/New-Q2_0.gguf";
    return f;
  }());
  hub.add([&] { auto f = file("New-gguf", "New-Q2_0.gguf"); f.required_token = "hf_good"; return f; }());
  options.download.token = "hf_good";
  fs::path path = fetch_model(parse_hf_ref("test-owner/Old-gguf:Old-Q2_0.gguf"), options);
  EXPECT_EQ(path, cache / "hf/test-owner/Old-gguf/Old-Q2_0.gguf");
  EXPECT_EQ(test::read_file(path.string()), payload);
  auto heads = hub.requests("HEAD", "/test-owner/New-gguf/");
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].authorization, "Bearer hf_good");
}

TEST_F(Download, TheTokenIsNotSentToAnotherOrigin) {
  FakeHub mirror;
  FakeFile there = file("Tiny-gguf", "Tiny-Q2_0.gguf");
  mirror.add(there);
  hub.add([&] {
    auto f = file("Tiny-gguf", "Tiny-Q2_0.gguf");
    f.redirect_to = mirror.endpoint() + "/test-owner/Tiny-gguf/resolve/main/Tiny-Q2_0.gguf";
    return f;
  }());
  options.download.token = "hf_secret";
  fs::path path = fetch_model(parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), options);
  EXPECT_EQ(test::read_file(path.string()), payload);
  EXPECT_EQ(hub.requests("HEAD", "/test-owner/")[0].authorization, "Bearer hf_secret");
  ASSERT_FALSE(mirror.requests().empty());
  for (const auto& r : mirror.requests()) EXPECT_EQ(r.authorization, "") << r.method << " " << r.path;
}

TEST_F(Download, AServerIgnoringRangeRestartsThePartFromZero) {
  hub.add([&] { auto f = file("NoRange-gguf", "NoRange-Q2_0.gguf"); f.ignore_range = true; return f; }());
  HfRef ref = parse_hf_ref("test-owner/NoRange-gguf:NoRange-Q2_0.gguf");
  std::string url = file_url(hub.endpoint(), ref);
  fs::path dest = cached_path(cache, ref);
  // A genuine first half from an earlier run, with its record.
  RemoteFileInfo info = probe_remote_file(url, options.download);
  fs::create_directories(dest.parent_path());
  test::write_file(dest.string() + ".part", payload.substr(0, 1000));
  test::write_file(dest.string() + ".part.json",
                   "{\"etag\":\"" + info.etag + "\",\"sha256\":\"" + info.sha256 + "\",\"size\":" +
                       std::to_string(payload.size()) + ",\"url\":\"" + url + "\"}");
  EXPECT_EQ(fetch_model(ref, options), dest);
  EXPECT_EQ(test::read_file(dest.string()), payload);
  auto gets = hub.requests("GET", "/cdn/");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].range, "bytes=1000-");
}

TEST_F(Download, APartOfAnotherVersionIsStartedOver) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  HfRef ref = parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf");
  fs::path dest = cached_path(cache, ref);
  fs::create_directories(dest.parent_path());
  test::write_file(dest.string() + ".part", std::string(5000, 'z'));
  test::write_file(dest.string() + ".part.json", "{\"etag\":\"an-older-version\"}");
  EXPECT_EQ(test::read_file(fetch_model(ref, options).string()), payload);
  auto gets = hub.requests("GET", "/cdn/");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].range, "");
}

TEST_F(Download, UnreachableHubIsANetworkError) {
  options.endpoint = test::unreachable_endpoint();
  try {
    fetch_model(parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), options);
    ADD_FAILURE() << "no error";
  } catch (const NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach the hub"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(complete_looking_files().empty());
}

// Progress output: lines without carriage returns when stderr is not a terminal.
TEST_F(Download, ProgressIsPlainLinesWhenNotATerminal) {
  hub.add([&] { auto f = file("Cut-gguf", "Cut-Q2_0.gguf"); f.cut_unranged_get = true; return f; }());
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  options.download.progress = Progress::Mode::automatic;
  options.download.progress_out = out;
  fetch_model(parse_hf_ref("test-owner/Cut-gguf:Cut-Q2_0.gguf"), options);
  std::fflush(out);
  std::rewind(out);
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
  EXPECT_NE(text.find("Cut-Q2_0.gguf: started (3.01 MiB)"), std::string::npos) << text;
  EXPECT_NE(text.find("Cut-Q2_0.gguf: connection lost at 1.51 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("Cut-Q2_0.gguf: done, 3.01 MiB in"), std::string::npos) << text;
}

// On a terminal (a pseudo-terminal here) the same download draws a bar in place.
TEST_F(Download, ProgressIsABarOnATerminal) {
  hub.add(file("Tiny-gguf", "Tiny-Q2_0.gguf"));
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = ::open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  FILE* terminal = fdopen(slave, "w");
  ASSERT_NE(terminal, nullptr);
  std::string seen;
  std::thread reader([&] {  // drain the pty so the writer can never block on a full buffer
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(master, buffer, sizeof buffer)) > 0) seen.append(buffer, n);
  });
  options.download.progress = Progress::Mode::automatic;
  options.download.progress_out = terminal;
  fetch_model(parse_hf_ref("test-owner/Tiny-gguf:Tiny-Q2_0.gguf"), options);
  std::fclose(terminal);  // the reader then sees EOF (EIO) and stops
  reader.join();
  ::close(master);
  EXPECT_NE(seen.find('\r'), std::string::npos) << seen;
  EXPECT_NE(seen.find("Tiny-Q2_0.gguf 100% [========================]"), std::string::npos) << seen;
  EXPECT_NE(seen.find("done"), std::string::npos) << seen;
}

}  // namespace
}  // namespace trit::hub
