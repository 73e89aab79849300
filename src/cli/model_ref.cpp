#include "cli/model_ref.h"

#include <deque>
#include <filesystem>

#include "hub/cache.h"
#include "hub/http.h"
#include "hub/resolve.h"
#include "util/error.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace trit::cli {

namespace {

constexpr const char* kOfflineAdvice =
    "to continue offline, pass a local GGUF file with -m PATH (`trit mkmodel` makes a synthetic "
    "one for trying the machinery)";

std::string local_model(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  if (fs::exists(path, ec)) fail("model path is not a file: ", path);
  std::string hint;
  // "owner/repo" given to -m is almost always meant for -hf.
  if (path.find('/') != std::string::npos && path.front() != '/' && path.front() != '.' &&
      path.find(".gguf") == std::string::npos)
    hint = cat(" (for a Hugging Face repo use -hf ", path, ")");
  fail("model file not found: ", path, hint);
}

}  // namespace

void ModelRefOptions::add_to(CLI::App& app) {
  app.add_option("-m,--model", model, "Local GGUF model file")->type_name("PATH");
  app.add_option("--hf,--hf-repo", hf,
                 "Hugging Face model OWNER/REPO[:FILE] (also -hf); without FILE the repo's "
                 "PQ2_0 (else Q2_0) GGUF; downloaded into the model cache ($TRIT_CACHE, else "
                 "$XDG_CACHE_HOME/trit, else ~/.cache/trit)")
      ->type_name("OWNER/REPO[:FILE]")
      ->excludes(app.get_option("--model"));
  app.add_option("--hf-endpoint", hf_endpoint,
                 "Hugging Face hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")
      ->type_name("URL");
}

std::string ModelRefOptions::resolve(WhenNone when_none) const {
  if (!model.empty() && !hf.empty()) fail("give either -m or -hf, not both");
  if (!model.empty()) return local_model(model);

  bool use_default = hf.empty();
  if (use_default && when_none == WhenNone::refuse)
    fail("no model given: pass -m FILE.gguf or -hf OWNER/REPO[:FILE]");
  hub::HfRef ref = use_default ? hub::default_model_ref() : hub::parse_hf_ref(hf);
  hub::FetchOptions options = hub::FetchOptions::from_environment(hf_endpoint);

  if (use_default) {
    fs::path cached = hub::cached_model_path(ref, options);
    std::error_code ec;
    if (fs::is_regular_file(cached, ec)) return cached.string();
    log_info(cat("no model given: using the default model Ternary-Bonsai-4B (", ref.to_string(),
                 ", about 1 GiB), downloading it once into ", options.cache_root.string()));
  }
  try {
    return hub::fetch_model(ref, options).string();
  } catch (const hub::NetworkError& e) {
    if (use_default)
      fail("no model given, and the default model Ternary-Bonsai-4B is not in the cache (",
           options.cache_root.string(), ") and cannot be downloaded: you appear to be offline (",
           e.what(), "); ", kOfflineAdvice);
    fail("cannot download ", ref.to_string(), ": you appear to be offline (", e.what(), "); ",
         kOfflineAdvice);
  }
}

void rewrite_single_dash_long_options(int argc, char** argv) {
  static std::deque<std::string> storage;  // keeps rewritten arguments alive for argv
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    for (const char* name : {"-hf", "-sys", "-ctk", "-ctv", "-md"}) {
      const std::string n = name;
      if (arg == n || arg.rfind(n + "=", 0) == 0) {
        storage.push_back("-" + arg);
        argv[i] = storage.back().data();
        break;
      }
    }
  }
}

}  // namespace trit::cli
