// trit models: what the model cache holds (name, size, GGUF type summary), and `trit models rm`.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "cli/command.h"
#include "gguf/reader.h"
#include "hub/cache.h"
#include "util/error.h"
#include "util/progress.h"

namespace trit::cli {

namespace {

// "qwen3, q2_0 (253), f32 (145)": architecture and tensor types by count, read from the header
// only (the reader maps the file; no tensor data is touched).
std::string type_summary(const std::filesystem::path& path) {
  try {
    gguf::File file = gguf::File::open(path.string());
    std::map<std::string, int> counts;
    for (const auto& t : file.tensors()) ++counts[t.type != nullptr ? t.type->name : "unknown"];
    std::string summary = file.get_string_or("general.architecture", "?");
    for (const auto& [name, count] : counts) summary += cat(", ", name, " (", count, ")");
    return summary;
  } catch (const std::exception& e) {
    return "not a readable GGUF";
  }
}

int list_models(const std::filesystem::path& root) {
  auto models = hub::list_cache(root);
  std::printf("model cache: %s\n", root.c_str());
  if (models.empty()) {
    std::printf("no cached models (they arrive with -hf OWNER/REPO or the default model)\n");
    return 0;
  }
  size_t width = 4;
  for (const auto& m : models) width = std::max(width, m.name.size());
  std::printf("%-*s  %10s  %s\n", static_cast<int>(width), "NAME", "SIZE", "TYPE");
  for (const auto& m : models) {
    std::string type = m.complete ? type_summary(m.path) : "partial download (resumes on next use)";
    std::printf("%-*s  %10s  %s\n", static_cast<int>(width), m.name.c_str(),
                Progress::format_bytes(m.size).c_str(), type.c_str());
  }
  return 0;
}

int remove_model(const std::filesystem::path& root, const std::string& name) {
  for (const auto& path : hub::remove_cached(root, name)) std::printf("removed %s\n", path.c_str());
  return 0;
}

CommandRegistration models_command(
    "models", "List the models in the download cache, or remove one (models rm NAME)",
    [](CLI::App& sub) -> CommandRun {
      auto name = std::make_shared<std::string>();
      CLI::App* rm = sub.add_subcommand("rm", "Remove a cached model (and any partial download)");
      rm->add_option("name", *name, "OWNER/REPO:FILE as listed, OWNER/REPO (all its files) or FILE")
          ->required();
      return [rm, name]() {
        std::filesystem::path root = hub::cache_dir();
        return rm->parsed() ? remove_model(root, *name) : list_models(root);
      };
    });

}  // namespace

}  // namespace trit::cli
