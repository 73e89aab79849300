#include "hub/hf_ref.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "util/error.h"

namespace trit::hub {

namespace {

// Hub repo and owner names: letters, digits, '-', '_', '.'; never "." or "..".
bool valid_name(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 96) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// A file path inside the repo: relative, no "..", no empty segments, no control characters,
// so that it can also name a place inside the cache without escaping it.
bool valid_file(const std::string& f) {
  if (f.empty() || f.front() == '/' || f.back() == '/') return false;
  size_t start = 0;
  while (start <= f.size()) {
    size_t end = f.find('/', start);
    if (end == std::string::npos) end = f.size();
    std::string segment = f.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return std::none_of(f.begin(), f.end(), [](unsigned char c) { return c < 0x20 || c == '\\' || c == 0x7f; });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// RFC 3986 unreserved characters stay; everything else (except '/' between segments) is %XX.
std::string encode_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string HfRef::to_string() const {
  return file.empty() ? repo_id() : repo_id() + ":" + file;
}

HfRef parse_hf_ref(const std::string& text) {
  auto bad = [&](const char* why) {
    fail("bad Hugging Face model reference '", text, "' (", why,
         "): expected OWNER/REPO or OWNER/REPO:FILE, e.g. prism-ml/Ternary-Bonsai-4B-gguf");
  };
  HfRef ref;
  std::string repo_part = text;
  size_t colon = text.find(':');
  if (colon != std::string::npos) {
    repo_part = text.substr(0, colon);
    ref.file = text.substr(colon + 1);
    if (!valid_file(ref.file)) bad("the file after ':' is not a plain relative path");
  }
  size_t slash = repo_part.find('/');
  if (slash == std::string::npos) bad("no '/' between owner and repo");
  ref.owner = repo_part.substr(0, slash);
  ref.repo = repo_part.substr(slash + 1);
  if (!valid_name(ref.owner)) bad("the owner is not a valid hub name");
  if (!valid_name(ref.repo)) bad("the repo is not a valid hub name");
  return ref;
}

HfRef default_model_ref() {
  return HfRef{"prism-ml", "Ternary-Bonsai-4B-gguf", "Ternary-Bonsai-4B-PQ2_0.gguf"};
}

std::string resolve_endpoint(const std::string& flag_value) {
  std::string endpoint = flag_value;
  if (endpoint.empty()) {
    const char* env = std::getenv("HF_ENDPOINT");
    if (env != nullptr) endpoint = env;
  }
  if (endpoint.empty()) endpoint = kDefaultEndpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0)
    fail("bad hub endpoint '", endpoint, "': it must start with http:// or https://");
  return endpoint;
}

std::string file_url(const std::string& endpoint, const HfRef& ref) {
  return endpoint + "/" + encode_path(ref.owner) + "/" + encode_path(ref.repo) + "/resolve/main/" +
         encode_path(ref.file);
}

std::string api_url(const std::string& endpoint, const HfRef& ref) {
  return endpoint + "/api/models/" + encode_path(ref.owner) + "/" + encode_path(ref.repo);
}

std::string derived_q2_0_file(const std::string& repo) {
  std::string base = repo;
  for (const char* suffix : {"-gguf", "_gguf", ".gguf"}) {
    if (ends_with(lower(base), suffix)) {
      base.resize(base.size() - std::string(suffix).size());
      break;
    }
  }
  return base + "-Q2_0.gguf";
}

std::string pick_default_file(const std::string& repo, const std::vector<std::string>& files) {
  const std::string derived = derived_q2_0_file(repo);
  const std::string derived_pq2_0 = derived.substr(0, derived.size() - std::string("Q2_0.gguf").size()) + "PQ2_0.gguf";
  for (const std::string& name : {derived_pq2_0, derived})
    if (std::find(files.begin(), files.end(), name) != files.end()) return name;
  std::vector<std::string> pq2, q2, ggufs;
  for (const auto& f : files) {
    std::string l = lower(f);
    if (!ends_with(l, ".gguf")) continue;
    ggufs.push_back(f);
    if (ends_with(l, "pq2_0.gguf")) pq2.push_back(f);
    else if (ends_with(l, "q2_0.gguf")) q2.push_back(f);
  }
  if (pq2.size() == 1) return pq2.front();
  if (q2.size() == 1) return q2.front();
  if (ggufs.size() == 1) return ggufs.front();
  return "";
}

}  // namespace trit::hub
