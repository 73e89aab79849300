// Resumable, verified downloads into the cache.
//
// 1. HEAD the URL (following redirects) for the facts the hub reports: size (X-Linked-Size, else
//    Content-Length) and, for LFS files, the SHA-256 (X-Linked-Etag, else ETag, when it is 64 hex
//    digits; a 40-digit git blob id is not a SHA-256 and is not checked). A size of 0 is refused,
//    and so is a size the cache's file system has no room for (statvfs, less what the .part holds).
// 2. Append to <dest>.part from its current length with "Range: bytes=N-". <dest>.part.json
//    records the URL, ETag and size the .part belongs to; a .part for another version of the
//    file is started over. A server that ignores the Range (200 instead of 206) restarts it too.
// 3. A connection cut mid-body is retried (from the new length) up to max_attempts times; after
//    the last one the .part stays for the next run to resume. A failure before the first byte
//    (a 500, a redirect loop) leaves no .part: only one with bytes in it is kept.
// 4. A .gguf must begin with the GGUF magic (hub/gguf_payload.h): a web page or any other body
//    is stopped at its first bytes and nothing is kept.
// 5. When all bytes are there: check size, magic and SHA-256, then rename .part to dest (atomic
//    on one file system). A mismatch deletes the .part and its .json, so nothing complete-looking
//    stays. The progress line says "done" only after the rename; an error makes it "failed".
// An exclusive flock on the .part keeps two trit processes from writing the same file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "util/progress.h"

namespace trit::hub {

struct DownloadOptions {
  std::string token;                   // Bearer token (HF_TOKEN); empty: anonymous
  std::string label;                   // progress label; default: the file name
  Progress::Mode progress = Progress::Mode::automatic;
  FILE* progress_out = stderr;
  int max_attempts = 5;                // GET attempts before giving up (each resumes)
  double retry_delay_s = 1.0;          // doubled after each failed attempt
  long connect_timeout_s = 20;
  long stall_timeout_s = 60;
};

// What the hub says about a file before we fetch it.
struct RemoteFileInfo {
  std::optional<uint64_t> size;
  std::string etag;    // normalised: no quotes, no W/ prefix
  std::string sha256;  // lowercase hex when the hub reported one, else ""
};

// HEAD request; throws the hub's error (404, 401/403, NetworkError) when it does not answer 2xx.
RemoteFileInfo probe_remote_file(const std::string& url, const DownloadOptions& options);

// Downloads `url` to `dest` (creating its folder) as described above. Returns dest. If dest
// already exists it is returned untouched without any request.
std::filesystem::path download_file(const std::string& url, const std::filesystem::path& dest,
                                    const DownloadOptions& options);

}  // namespace trit::hub
