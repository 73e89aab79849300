#include "hub/download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "hub/cache.h"
#include "hub/gguf_payload.h"
#include "hub/http.h"
#include "hub/sha256.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace trit::hub {

namespace {

std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::optional<uint64_t> parse_size(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(text);
}

// Start offset of "Content-Range: bytes START-END/TOTAL"; nullopt when absent or malformed.
std::optional<uint64_t> content_range_start(const std::string& value) {
  if (value.rfind("bytes ", 0) != 0) return std::nullopt;
  size_t dash = value.find('-', 6);
  if (dash == std::string::npos) return std::nullopt;
  return parse_size(value.substr(6, dash - 6));
}

// The .part file, opened for appending under an exclusive advisory lock.
class PartFile {
 public:
  explicit PartFile(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open ", path.string(), " for writing: ", std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fail("another trit process is downloading ", path.string(), "; wait for it to finish");
    }
  }
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  uint64_t size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("cannot stat ", path_.string(), ": ", std::strerror(errno));
    return static_cast<uint64_t>(st.st_size);
  }
  bool is_empty() const noexcept {
    struct stat st {};
    return ::fstat(fd_, &st) == 0 && st.st_size == 0;
  }
  // Up to `n` bytes from the start.
  std::string head(size_t n) const {
    std::string bytes(n, '\0');
    ssize_t got = ::pread(fd_, bytes.data(), n, 0);
    bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return bytes;
  }
  void truncate(uint64_t length) {
    if (::ftruncate(fd_, static_cast<off_t>(length)) != 0)
      fail("cannot truncate ", path_.string(), ": ", std::strerror(errno));
  }
  void append(const char* data, size_t n) {
    while (n > 0) {
      ssize_t written = ::pwrite(fd_, data, n, static_cast<off_t>(size()));
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail("cannot write ", path_.string(), ": ", std::strerror(errno));
      data += written;
      n -= static_cast<size_t>(written);
    }
  }
  void sync() {
    if (::fsync(fd_) != 0) fail("cannot flush ", path_.string(), ": ", std::strerror(errno));
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// What a .part belongs to, so a resume never splices two versions of a file together.
nlohmann::json part_meta(const std::string& url, const RemoteFileInfo& info) {
  nlohmann::json meta = {{"url", url}, {"etag", info.etag}, {"sha256", info.sha256}};
  meta["size"] = info.size ? nlohmann::json(*info.size) : nlohmann::json(nullptr);
  return meta;
}

bool part_matches(const fs::path& meta_path, const nlohmann::json& expected) {
  std::ifstream in(meta_path);
  if (!in) return false;
  nlohmann::json found = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return !found.is_discarded() && found == expected;
}

void write_meta(const fs::path& meta_path, const nlohmann::json& meta) {
  std::ofstream out(meta_path, std::ios::trunc);
  out << meta.dump() << "\n";
  if (!out) fail("cannot write ", meta_path.string());
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A failed download keeps its .part only when it holds bytes to resume from: an empty one (a 500,
// a redirect loop, a refused connection before the first byte) is removed with its record, so
// nothing is left that `trit models` or a later run would have to explain.
class EmptyPartRemover {
 public:
  EmptyPartRemover(const PartFile& part, fs::path part_path, fs::path meta_path)
      : part_(part), part_path_(std::move(part_path)), meta_path_(std::move(meta_path)) {}
  ~EmptyPartRemover() {
    if (!armed_ || !part_.is_empty()) return;
    remove_quietly(part_path_);
    remove_quietly(meta_path_);
  }
  void disarm() { armed_ = false; }

 private:
  const PartFile& part_;
  fs::path part_path_, meta_path_;
  bool armed_ = true;
};

// Refuses to start when the cache's file system cannot hold what is still to come.
void check_free_space(const fs::path& dir, const std::string& url, uint64_t size, uint64_t have) {
  if (size <= have) return;
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return;  // unknown: let the writes tell
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const uint64_t needed = size - have;
  if (needed <= free_bytes) return;
  fail("not enough free space for ", url, " in ", dir.string(), ": it needs ", Progress::format_bytes(needed),
       " (", needed, " bytes", have > 0 ? cat(", ", have, " of ", size, " already downloaded") : std::string(),
       ") but the file system has ", Progress::format_bytes(free_bytes), " (", free_bytes,
       " bytes) free; free some space or point TRIT_CACHE elsewhere");
}

}  // namespace

RemoteFileInfo probe_remote_file(const std::string& url, const DownloadOptions& options) {
  // Redirects are followed by hand: the hub's own 3xx for an LFS file already carries the facts
  // (X-Linked-Size, X-Linked-Etag), and a HEAD sent on to a presigned CDN URL may be refused.
  // The token only goes to the origin it was meant for.
  std::string current = url;
  HttpResponse response;
  for (int hop = 0;; ++hop) {
    HttpRequest request;
    request.url = current;
    request.head = true;
    request.follow_redirects = false;
    request.token = url_origin(current) == url_origin(url) ? options.token : "";
    request.connect_timeout_s = options.connect_timeout_s;
    request.stall_timeout_s = options.stall_timeout_s;
    response = http_request(request);
    bool redirect = response.result == TransportResult::ok && response.status >= 300 && response.status < 400;
    if (!redirect) break;
    if (!response.header("x-linked-size").empty() || !response.header("x-linked-etag").empty()) break;
    std::string location = response.header("location");
    if (location.empty()) fail("the hub redirected ", current, " (HTTP ", response.status, ") without a Location");
    if (hop >= 10) fail("too many redirects for ", url);
    current = resolve_location(current, location);
  }
  if (response.result != TransportResult::ok || response.status < 200 || response.status >= 400)
    fail_hub_response(response, url, !options.token.empty());

  RemoteFileInfo info;
  info.size = parse_size(response.header("x-linked-size"));
  if (!info.size && response.status < 300) info.size = parse_size(response.header("content-length"));
  // X-Linked-Etag is the LFS object's SHA-256; a plain ETag is a git blob id (40 hex digits) for
  // small files, or whatever a mirror uses.
  std::string etag = response.header("x-linked-etag");
  if (etag.empty()) etag = response.header("etag");
  info.etag = normalize_etag(etag);
  if (is_sha256_hex(info.etag)) {
    info.sha256 = info.etag;
    for (auto& c : info.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return info;
}

fs::path download_file(const std::string& url, const fs::path& dest, const DownloadOptions& options) {
  if (fs::exists(dest)) return dest;
  RemoteFileInfo info = probe_remote_file(url, options);  // before any folder is made: a 404
                                                          // leaves nothing behind
  if (info.size && *info.size == 0)
    fail("the hub reports a size of 0 bytes for ", url,
         ": an empty file is not a model (check the repo and file name); nothing was downloaded");
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) fail("cannot create the cache folder ", dest.parent_path().string(), ": ", ec.message());
  fs::path part_path = dest.string() + kPartSuffix;
  fs::path meta_path = dest.string() + kPartMetaSuffix;
  PartFile part(part_path);
  EmptyPartRemover remove_if_empty(part, part_path, meta_path);
  if (fs::exists(dest)) {  // another process finished it while we waited for the HEAD
    if (part.size() == 0) remove_quietly(part_path);
    return dest;
  }

  nlohmann::json meta = part_meta(url, info);
  uint64_t have = part.size();
  const bool gguf = expects_gguf(dest.filename().string());
  if (have > 0 && (!part_matches(meta_path, meta) || (info.size && have > *info.size) ||
                   (gguf && !could_start_gguf(part.head(kGgufMagicSize))))) {
    part.truncate(0);
    have = 0;
  }
  if (info.size) check_free_space(dest.parent_path(), url, *info.size, have);
  write_meta(meta_path, meta);

  std::string label = options.label.empty() ? dest.filename().string() : options.label;
  Progress progress(label, info.size.value_or(0), options.progress, Progress::Unit::bytes,
                    options.progress_out);
  progress.set_start(have);
  progress.update(have);

  double delay = options.retry_delay_s;
  bool complete = info.size && have == *info.size;
  HttpResponse last;
  // The file's first bytes (a .gguf only), for the magic check and the message when it fails.
  constexpr uint64_t kHeadKept = 256;
  std::string first_bytes = gguf ? part.head(static_cast<size_t>(std::min(have, kHeadKept))) : "";
  std::string content_type;
  for (int attempt = 1; !complete && attempt <= options.max_attempts; ++attempt) {
    HttpRequest request;
    request.url = url;
    request.range_start = have;
    request.token = options.token;
    request.connect_timeout_s = options.connect_timeout_s;
    request.stall_timeout_s = options.stall_timeout_s;
    bool checked_start = false;
    bool overflow = false;
    bool not_gguf = false;
    request.on_body = [&](const HttpResponse& head, const char* data, size_t n) {
      if (head.status != 200 && head.status != 206) return true;  // error page: not our bytes
      if (!checked_start) {
        checked_start = true;
        content_type = head.header("content-type");
        // 200 means the server sent the whole file from byte 0; a 206 must start where we are.
        std::optional<uint64_t> start =
            head.status == 206 ? content_range_start(head.header("content-range")) : uint64_t{0};
        if (!start) return false;
        if (*start != have) {
          if (*start != 0) return false;
          part.truncate(0);
          have = 0;
          first_bytes.clear();
          progress.set_start(0);
        }
      }
      // The first bytes of a .gguf must be the magic; a web page is stopped at its first chunk.
      if (gguf && have < kHeadKept)
        first_bytes.append(data, static_cast<size_t>(std::min<uint64_t>(n, kHeadKept - have)));
      if (gguf && !could_start_gguf(first_bytes)) {
        not_gguf = true;
        return false;
      }
      if (info.size && have + n > *info.size) {
        overflow = true;
        return false;
      }
      part.append(data, n);
      have += n;
      progress.update(have);
      return true;
    };
    last = http_request(request);

    if (last.result == TransportResult::ok) {
      if (last.status == 416) {  // our .part is not a prefix the server can continue: restart
        part.truncate(0);
        have = 0;
        first_bytes.clear();
        continue;
      }
      if (last.status != 200 && last.status != 206) {
        progress.finish("failed");
        fail_hub_response(last, url, !options.token.empty());
      }
      // Without a reported size the server's clean end of body is the end of the file.
      complete = !info.size || have == *info.size;
      if (complete) break;
    } else if (last.result == TransportResult::aborted) {
      progress.finish("failed");
      if (not_gguf) {
        part.truncate(0);  // the remover takes it and its record
        fail(not_gguf_message(url, first_bytes, content_type));
      }
      if (overflow) {
        part.truncate(0);
        fail("the server sent more than the ", *info.size, " bytes the hub reports for ", url,
             "; the partial file was discarded");
      }
      std::string range = last.header("content-range");
      fail("the server answered a resumed download of ", url, " with the wrong bytes (",
           range.empty() ? std::string("no Content-Range header") : "Content-Range: " + range,
           ", expected bytes ", have, "-)");
    } else if (last.result == TransportResult::failed) {
      progress.finish("failed");
      fail_hub_response(last, url, !options.token.empty());
    }
    if (attempt < options.max_attempts) {
      progress.note(cat("connection lost at ", Progress::format_bytes(have), " (",
                        last.transport_error.empty() ? "body ended early" : last.transport_error,
                        "); resuming, attempt ", attempt + 1, " of ", options.max_attempts));
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      delay *= 2;
    }
  }
  if (!complete) {
    progress.finish("interrupted");
    std::string reason = last.transport_error.empty() ? "body ended early" : last.transport_error;
    std::string of = info.size ? cat(" of ", *info.size, " bytes") : std::string(" bytes");
    std::string next = have > 0 ? "run the command again to resume from " + part_path.string()
                                : std::string("run the command again");
    std::string message = cat("the download of ", url, " stopped at ", have, of, " after ", options.max_attempts,
                              " attempts (", reason, "); ", next);
    if (last.result == TransportResult::unreachable) throw NetworkError(message);
    fail(message);
  }
  // From here on an error leaves no .part: what arrived is complete but wrong, or cannot be kept.
  // Progress says "done" only once the file is in place (an exception makes it say "failed").
  part.sync();

  uint64_t on_disk = part.size();
  if (info.size && on_disk != *info.size) {
    remove_quietly(part_path);
    remove_quietly(meta_path);
    fail("size mismatch for ", url, ": the hub reports ", *info.size, " bytes but ", on_disk,
         " arrived; the partial file was removed, run the command again");
  }
  if (gguf && (on_disk < kGgufMagicSize || !could_start_gguf(part.head(kGgufMagicSize)))) {
    std::string head = part.head(static_cast<size_t>(kHeadKept));
    remove_quietly(part_path);
    remove_quietly(meta_path);
    fail(not_gguf_message(url, head, content_type));
  }
  if (!info.sha256.empty()) {
    progress.note("checking SHA-256");
    std::string actual = sha256_file_hex(part_path);
    if (actual != info.sha256) {
      remove_quietly(part_path);
      remove_quietly(meta_path);
      fail("checksum mismatch for ", url, ": the hub reports SHA-256 ", info.sha256,
           " but the download has ", actual, "; the file was removed, run the command again");
    }
  }
  fs::rename(part_path, dest, ec);
  if (ec) fail("cannot move ", part_path.string(), " to ", dest.string(), ": ", ec.message());
  remove_if_empty.disarm();
  remove_quietly(meta_path);
  sync_directory(dest.parent_path());
  progress.finish();
  return dest;
}

}  // namespace trit::hub
