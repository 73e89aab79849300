// From a hub reference to a local file: the cache first (no network when the file is there),
// else the file list from the hub API to pick a file when none was named, else a download.
#pragma once
#include <filesystem>
#include <string>

#include "hub/download.h"
#include "hub/hf_ref.h"

namespace trit::hub {

struct FetchOptions {
  std::string endpoint = kDefaultEndpoint;  // no trailing '/'
  std::filesystem::path cache_root;         // cache_dir() by default (see from_environment)
  DownloadOptions download;                 // token, progress, retries

  // endpoint from the flag/$HF_ENDPOINT, cache from $TRIT_CACHE/..., token from $HF_TOKEN.
  static FetchOptions from_environment(const std::string& endpoint_flag = "");
};

// Returns `ref` with its file filled in. A named file is returned as is. Otherwise: a cached
// file of that repo that fits (derived name or the one *Q2_0.gguf), else the hub API's file
// list (pick_default_file), else, when the endpoint has no usable API, the derived name.
// Throws when the list has no fitting file, naming the .gguf files it does have.
HfRef choose_file(const HfRef& ref, const FetchOptions& options);

// The local path of `ref`: the cached file when present, else downloaded into the cache.
// Throws NetworkError when the hub cannot be reached and the file is not cached.
std::filesystem::path fetch_model(const HfRef& ref, const FetchOptions& options);

// The path fetch_model would return if the file were cached; "" when ref.file is empty.
std::filesystem::path cached_model_path(const HfRef& ref, const FetchOptions& options);

}  // namespace trit::hub
