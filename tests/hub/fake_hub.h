// A Hugging Face hub stand-in for tests: a cpp-httplib server on a free 127.0.0.1 port, in this
// process, serving the hub's URL layout:
//   HEAD/GET /OWNER/REPO/resolve/main/FILE   the file; like the real hub for LFS files, a 302 to
//                                            /cdn/N carrying X-Linked-Size and X-Linked-Etag
//                                            (the SHA-256, quoted) and X-Repo-Commit
//   GET      /api/models/OWNER/REPO          {"id": ..., "siblings": [{"rfilename": ...}]}
//   anything else                            404
// Each file can misbehave in one way (cut the connection, demand a token, lie about its hash or
// size, ignore Range, fail or loop on the CDN, be a web page) so the downloader's failure paths
// can be driven deterministically.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace trit::test {

struct FakeFile {
  std::string owner, repo, file;
  std::string bytes;
  bool lfs = true;                // redirect to /cdn with X-Linked-*; else served directly with
                                  // a git-blob-style 40-hex ETag and no X-Linked-* headers
  bool cut_unranged_get = false;  // a GET without Range sends half the body, then drops the line
  std::string required_token;     // non-empty: 401 unless "Authorization: Bearer <token>"
  std::string claimed_sha256;     // non-empty: reported instead of the real SHA-256
  long long claimed_size = -1;    // >= 0: reported as X-Linked-Size instead of the real size
  std::string redirect_to;         // non-empty: 307 to this Location (a renamed repo, a mirror)
  bool ignore_range = false;      // always 200 with the whole body, Range or not
  std::string content_type;       // served Content-Type; "" means application/octet-stream
  int cdn_status = 0;             // non-zero: the CDN answers every GET with this status (a 500)
  bool cdn_redirect_loop = false; // the CDN answers every GET with a 302 to itself
};

struct LoggedRequest {
  std::string method;
  std::string path;
  std::string range;          // the Range header, "" when absent
  std::string authorization;  // the Authorization header, "" when absent
};

class FakeHub {
 public:
  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  void add(FakeFile file);
  std::vector<LoggedRequest> requests() const;
  // Requests whose path starts with `prefix` and whose method is `method`.
  std::vector<LoggedRequest> requests(const std::string& method, const std::string& prefix) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

// Deterministic pseudo-random bytes starting with the GGUF magic (not a valid GGUF).
std::string fake_gguf_bytes(size_t size, unsigned seed);

// Bytes of a small but valid GGUF (architecture "qwen3", one F32 tensor of `floats` elements).
std::string tiny_gguf_bytes(size_t floats, const std::string& scratch_path);

// A loopback URL nothing listens on (a port bound and released), for "hub unreachable".
std::string unreachable_endpoint();

}  // namespace trit::test
