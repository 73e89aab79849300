#include "fake_hub.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>

#include "gguf/writer.h"
#include "hub/sha256.h"
#include "common/test_util.h"

namespace trit::test {

struct FakeHub::State {
  mutable std::mutex mutex;
  std::vector<FakeFile> files;
  std::vector<LoggedRequest> log;

  // Index of the file, or -1.
  int find(const std::string& owner, const std::string& repo, const std::string& file) const {
    for (size_t i = 0; i < files.size(); ++i)
      if (files[i].owner == owner && files[i].repo == repo && files[i].file == file) return static_cast<int>(i);
    return -1;
  }
};

namespace {

bool authorized(const FakeFile& f, const httplib::Request& req) {
  return f.required_token.empty() || req.get_header_value("Authorization") == "Bearer " + f.required_token;
}

void refuse(httplib::Response& res) {
  res.status = 401;
  res.set_header("X-Error-Code", "RepoNotFound");
  res.set_content("{\"error\":\"Invalid credentials in Authorization header\"}", "application/json");
}

// The body of one file, honouring its misbehaviour. httplib applies Range requests itself to
// content with a known length (206 + Content-Range, or 416).
void serve_body(const FakeFile& f, const httplib::Request& req, httplib::Response& res) {
  if (f.ignore_range) {
    // Chunked (no length to slice) and an explicit 200: httplib then leaves the Range alone.
    res.status = 200;
    auto bytes = std::make_shared<std::string>(f.bytes);
    res.set_chunked_content_provider("application/octet-stream", [bytes](size_t offset, httplib::DataSink& sink) {
      if (offset < bytes->size())
        sink.write(bytes->data() + offset, std::min<size_t>(64 << 10, bytes->size() - offset));
      else
        sink.done();
      return true;
    });
    return;
  }
  if (f.cut_unranged_get && req.method == "GET" && !req.has_header("Range")) {
    auto bytes = std::make_shared<std::string>(f.bytes);
    res.set_content_provider(bytes->size(), "application/octet-stream",
                             [bytes](size_t offset, size_t, httplib::DataSink& sink) {
                               size_t half = bytes->size() / 2;
                               if (offset >= half) return false;  // drops the connection
                               sink.write(bytes->data() + offset, half - offset);
                               return true;
                             });
    return;
  }
  res.set_content(f.bytes, f.content_type.empty() ? "application/octet-stream" : f.content_type.c_str());
}

}  // namespace

FakeHub::FakeHub() : state_(std::make_shared<State>()), server_(std::make_unique<httplib::Server>()) {
  auto state = state_;
  server_->set_logger([state](const httplib::Request& req, const httplib::Response&) {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->log.push_back({req.method, req.path, req.get_header_value("Range"),
                          req.get_header_value("Authorization")});
  });

  server_->Get(R"(/api/models/([^/]+)/([^/]+))", [state](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(state->mutex);
    nlohmann::json siblings = nlohmann::json::array();
    bool any = false;
    for (const auto& f : state->files) {
      if (f.owner != req.matches[1] || f.repo != req.matches[2]) continue;
      if (!authorized(f, req)) return refuse(res);
      siblings.push_back({{"rfilename", f.file}});
      any = true;
    }
    if (!any) {
      res.status = 404;
      res.set_content("{\"error\":\"Repository not found\"}", "application/json");
      return;
    }
    siblings.push_back({{"rfilename", "README.md"}});
    nlohmann::json body = {{"id", std::string(req.matches[1]) + "/" + std::string(req.matches[2])},
                           {"siblings", siblings}};
    res.set_content(body.dump(), "application/json");
  });

  server_->Get(R"(/([^/]+)/([^/]+)/resolve/main/(.+))", [state](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(state->mutex);
    int index = state->find(req.matches[1], req.matches[2], req.matches[3]);
    if (index < 0) {
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      res.set_content("Entry not found", "text/plain");
      return;
    }
    const FakeFile& f = state->files[index];
    if (!f.redirect_to.empty()) return res.set_redirect(f.redirect_to, 307);
    if (!authorized(f, req)) return refuse(res);
    res.set_header("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567");
    if (!f.lfs) {
      res.set_header("ETag", "\"" + hub::sha256_hex(f.bytes.data(), f.bytes.size()).substr(0, 40) + "\"");
      return serve_body(f, req, res);
    }
    std::string sha = f.claimed_sha256.empty() ? hub::sha256_hex(f.bytes.data(), f.bytes.size()) : f.claimed_sha256;
    res.set_header("X-Linked-Size", std::to_string(f.claimed_size >= 0 ? static_cast<size_t>(f.claimed_size)
                                                                       : f.bytes.size()));
    res.set_header("X-Linked-Etag", "\"" + sha + "\"");
    res.set_header("ETag", "W/\"hub-page-etag\"");
    res.set_redirect("/cdn/" + std::to_string(index), 302);
  });

  // The CDN: no auth (a presigned URL), an ETag of its own that is not the SHA-256.
  server_->Get(R"(/cdn/(\d+))", [state](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(state->mutex);
    size_t index = std::stoul(req.matches[1]);
    if (index >= state->files.size()) {
      res.status = 404;
      return;
    }
    const FakeFile& f = state->files[index];
    if (f.cdn_redirect_loop) return res.set_redirect("/cdn/" + std::to_string(index), 302);
    if (f.cdn_status != 0) {
      // Chunked, so httplib does not apply a Range to the error page (it would answer 416).
      res.status = f.cdn_status;
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) sink.write("Internal Server Error", 21);
        else sink.done();
        return true;
      });
      return;
    }
    res.set_header("ETag", "\"cdn-object-etag\"");
    serve_body(f, req, res);
  });

  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fake hub: cannot bind a loopback port");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

FakeHub::~FakeHub() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeHub::add(FakeFile file) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->files.push_back(std::move(file));
}

std::vector<LoggedRequest> FakeHub::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->log;
}

std::vector<LoggedRequest> FakeHub::requests(const std::string& method, const std::string& prefix) const {
  std::vector<LoggedRequest> out;
  for (const auto& r : requests())
    if (r.method == method && r.path.rfind(prefix, 0) == 0) out.push_back(r);
  return out;
}

std::string fake_gguf_bytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  if (size >= 4) bytes.replace(0, 4, "GGUF");
  return bytes;
}

std::string tiny_gguf_bytes(size_t floats, const std::string& scratch_path) {
  {
    gguf::Writer writer(scratch_path, /*overwrite=*/true);
    writer.set("general.architecture", gguf::Value{std::string("qwen3")});
    writer.add_tensor({"output_norm.weight", {floats}, 0, floats * 4});
    writer.begin_data();
    std::vector<float> values(floats);
    for (size_t i = 0; i < floats; ++i) values[i] = static_cast<float>(i % 97) * 0.25f;
    writer.write(values.data(), values.size() * 4);
    writer.finish();
  }
  return read_file(scratch_path);
}

std::string unreachable_endpoint() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);  // nothing listens here now: connecting is refused at once
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace trit::test
