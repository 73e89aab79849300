#include "hub/resolve.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "hub/cache.h"
#include "hub/http.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace trit::hub {

namespace {

// Complete cached files of one repo, as repo-relative names.
std::vector<std::string> cached_files_of(const HfRef& ref, const FetchOptions& options) {
  std::vector<std::string> files;
  std::string prefix = ref.repo_id() + ":";
  for (const auto& m : list_cache(options.cache_root))
    if (m.complete && m.name.rfind(prefix, 0) == 0) files.push_back(m.name.substr(prefix.size()));
  return files;
}

}  // namespace

FetchOptions FetchOptions::from_environment(const std::string& endpoint_flag) {
  FetchOptions options;
  options.endpoint = resolve_endpoint(endpoint_flag);
  options.cache_root = cache_dir();
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr) options.download.token = token;
  return options;
}

HfRef choose_file(const HfRef& ref, const FetchOptions& options) {
  if (!ref.file.empty()) return ref;
  HfRef chosen = ref;
  chosen.file = pick_default_file(ref.repo, cached_files_of(ref, options));
  if (!chosen.file.empty()) return chosen;

  std::string url = api_url(options.endpoint, ref);
  HttpRequest request;
  request.url = url;
  request.token = options.download.token;
  request.connect_timeout_s = options.download.connect_timeout_s;
  request.stall_timeout_s = options.download.stall_timeout_s;
  HttpResponse response = http_request(request);
  if (response.result == TransportResult::unreachable ||
      (response.result == TransportResult::ok && (response.status == 401 || response.status == 403)))
    fail_hub_response(response, url, !options.download.token.empty());

  nlohmann::json info = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  bool listed = response.result == TransportResult::ok && response.status == 200 &&
                info.is_object() && info.contains("siblings") && info["siblings"].is_array();
  if (!listed) {
    // A mirror without the API (or a repo the API does not know): try the conventional name;
    // the download then reports a missing file clearly.
    chosen.file = derived_q2_0_file(ref.repo);
    return chosen;
  }
  std::vector<std::string> files;
  for (const auto& sibling : info["siblings"])
    if (sibling.is_object() && sibling.contains("rfilename") && sibling["rfilename"].is_string())
      files.push_back(sibling["rfilename"].get<std::string>());
  chosen.file = pick_default_file(ref.repo, files);
  if (chosen.file.empty()) {
    std::string ggufs;
    for (const auto& f : files)
      if (f.size() > 5 && f.compare(f.size() - 5, 5, ".gguf") == 0) ggufs += (ggufs.empty() ? "" : ", ") + f;
    fail("cannot tell which file of ", ref.repo_id(), " to use: ",
         ggufs.empty() ? std::string("it has no .gguf files") : "its .gguf files are " + ggufs,
         "; name one with -hf ", ref.repo_id(), ":FILE");
  }
  return chosen;
}

fs::path cached_model_path(const HfRef& ref, const FetchOptions& options) {
  if (ref.file.empty()) return {};
  return cached_path(options.cache_root, ref);
}

fs::path fetch_model(const HfRef& ref, const FetchOptions& options) {
  HfRef chosen = choose_file(ref, options);
  fs::path dest = cached_path(options.cache_root, chosen);
  std::error_code ec;
  if (fs::is_regular_file(dest, ec)) return dest;
  return download_file(file_url(options.endpoint, chosen), dest, options.download);
}

}  // namespace trit::hub
