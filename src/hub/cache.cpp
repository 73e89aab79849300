#include "hub/cache.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <tuple>

#include "util/error.h"

namespace fs = std::filesystem;

namespace trit::hub {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Removes one path if present; returns whether it was there.
bool remove_if_present(const fs::path& p, std::vector<fs::path>& removed) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(p, ec))) return false;
  if (!fs::remove(p, ec) || ec) fail("cannot remove ", p.string(), ": ", ec.message());
  removed.push_back(p);
  return true;
}

// Drops now-empty repo and owner folders so `trit models` shows nothing stale.
void prune_empty_dirs(fs::path dir, const fs::path& stop) {
  std::error_code ec;
  while (dir != stop && dir.has_parent_path() && fs::is_directory(dir, ec) && fs::is_empty(dir, ec)) {
    fs::remove(dir, ec);
    dir = dir.parent_path();
  }
}

}  // namespace

fs::path cache_dir() {
  if (std::string v = env("TRIT_CACHE"); !v.empty()) return fs::path(v);
  if (std::string v = env("XDG_CACHE_HOME"); !v.empty()) return fs::path(v) / "trit";
  if (std::string v = env("HOME"); !v.empty()) return fs::path(v) / ".cache" / "trit";
  fail("no model cache folder: set TRIT_CACHE (or XDG_CACHE_HOME or HOME)");
}

fs::path cached_path(const fs::path& root, const HfRef& ref) {
  if (ref.file.empty()) fail("internal: cached_path needs a file name in ", ref.to_string());
  return root / "hf" / ref.owner / ref.repo / fs::path(ref.file);
}

std::vector<CachedModel> list_cache(const fs::path& root) {
  std::vector<CachedModel> models;
  fs::path hf = root / "hf";
  std::error_code ec;
  if (!fs::is_directory(hf, ec)) return models;
  // owner/repo are the first two levels; anything deeper is a file path inside the repo.
  for (auto it = fs::recursive_directory_iterator(hf, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path rel = it->path().lexically_relative(hf);
    auto part = rel.begin();
    if (std::distance(rel.begin(), rel.end()) < 3) continue;
    std::string owner = (part++)->string();
    std::string repo = (part++)->string();
    fs::path file;
    for (; part != rel.end(); ++part) file /= *part;
    std::string file_name = file.generic_string();
    if (ends_with(file_name, kPartMetaSuffix)) continue;
    CachedModel model;
    model.complete = !ends_with(file_name, kPartSuffix);
    // An empty .part has nothing to resume (an older trit left one after a failed request).
    if (!model.complete && it->file_size(ec) == 0) continue;
    if (!model.complete) file_name.resize(file_name.size() - std::string(kPartSuffix).size());
    model.name = owner + "/" + repo + ":" + file_name;
    model.path = it->path();
    model.size = it->file_size(ec);
    models.push_back(std::move(model));
  }
  // By (repo, file), so "o/r:x" sorts before "o/r2:x" although '2' < ':'.
  auto key = [](const CachedModel& m) {
    size_t colon = m.name.find(':');
    return std::make_tuple(m.name.substr(0, colon), m.name.substr(colon + 1), !m.complete);
  };
  std::sort(models.begin(), models.end(),
            [&](const CachedModel& a, const CachedModel& b) { return key(a) < key(b); });
  return models;
}

std::vector<fs::path> remove_cached(const fs::path& root, const std::string& name) {
  std::vector<CachedModel> all = list_cache(root);
  std::vector<std::string> selected;  // "owner/repo:file" names
  bool whole_repo = name.find('/') != std::string::npos && name.find(':') == std::string::npos;
  for (const auto& m : all) {
    std::string repo_id = m.name.substr(0, m.name.find(':'));
    std::string file = m.name.substr(m.name.find(':') + 1);
    bool match = whole_repo ? repo_id == name
                            : name.find(':') != std::string::npos
                                  ? m.name == name
                                  : file == name || fs::path(file).filename().string() == name;
    if (match && std::find(selected.begin(), selected.end(), m.name) == selected.end())
      selected.push_back(m.name);
  }
  if (selected.empty())
    fail("no cached model named '", name, "' in ", (root / "hf").string(),
         ": `trit models` lists what is there");
  bool bare_file = !whole_repo && name.find(':') == std::string::npos;
  if (bare_file && selected.size() > 1) {
    std::string candidates;
    for (const auto& s : selected) candidates += (candidates.empty() ? "" : ", ") + s;
    fail("'", name, "' names more than one cached model (", candidates,
         "): give the full OWNER/REPO:FILE name");
  }
  std::vector<fs::path> removed;
  for (const auto& m : all) {
    if (std::find(selected.begin(), selected.end(), m.name) == selected.end()) continue;
    std::string base = m.path.string();
    if (!m.complete) base.resize(base.size() - std::string(kPartSuffix).size());
    fs::path path(base);
    remove_if_present(path, removed);
    remove_if_present(fs::path(path.string() + kPartSuffix), removed);
    remove_if_present(fs::path(path.string() + kPartMetaSuffix), removed);
    prune_empty_dirs(path.parent_path(), root / "hf");
  }
  return removed;
}

}  // namespace trit::hub
