// The model cache. Root: $TRIT_CACHE, else $XDG_CACHE_HOME/trit, else $HOME/.cache/trit.
// Layout under the root:
//   hf/<owner>/<repo>/<file>             a complete, verified download (the only thing used)
//   hf/<owner>/<repo>/<file>.part        bytes received so far (resumed with an HTTP Range)
//   hf/<owner>/<repo>/<file>.part.json   what the .part belongs to: url, etag, size, sha256
// A file is only ever renamed to its final name after its size and checksum were verified, so a
// name without ".part" always means complete. The endpoint is not part of the path: a cache is
// meant for one hub (tests point TRIT_CACHE at their own folder).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hub/hf_ref.h"

namespace trit::hub {

inline constexpr const char* kPartSuffix = ".part";
inline constexpr const char* kPartMetaSuffix = ".part.json";

// The cache root from the environment (not created here). Throws when no variable gives one.
std::filesystem::path cache_dir();

// Where `ref` (with its file set) lives in the cache rooted at `root`.
std::filesystem::path cached_path(const std::filesystem::path& root, const HfRef& ref);

struct CachedModel {
  std::string name;             // "owner/repo:file", the form -hf and `trit models rm` take
  std::filesystem::path path;   // the complete file, or the .part for a partial one
  uint64_t size = 0;            // bytes on disk
  bool complete = true;         // false: an interrupted download (a .part file)
};

// Everything under root/hf, complete files and partial downloads (a .part with bytes in it; an
// empty one is not listed), sorted by name.
// A missing cache is an empty list.
std::vector<CachedModel> list_cache(const std::filesystem::path& root);

// Removes the entries `name` selects: "owner/repo:file" (that file), "owner/repo" (all files of
// the repo) or a bare file name that exactly one cached entry has. Partial downloads and their
// .part.json go too. Returns the paths removed; throws trit::Error when nothing matches or a
// bare file name is ambiguous (listing the candidates).
std::vector<std::filesystem::path> remove_cached(const std::filesystem::path& root,
                                                 const std::string& name);

}  // namespace trit::hub
