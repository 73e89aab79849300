// Hugging Face model references and the hub's URL layout.
//   -hf OWNER/REPO[:FILE]   e.g. prism-ml/Ternary-Bonsai-4B-gguf  or  owner/repo:model-Q2_0.gguf
//   file URL:  {endpoint}/{owner}/{repo}/resolve/main/{file}
//   file list: {endpoint}/api/models/{owner}/{repo}   (JSON; "siblings": [{"rfilename": ...}])
// The endpoint is --hf-endpoint, else $HF_ENDPOINT, else https://huggingface.co.
#pragma once
#include <string>
#include <vector>

namespace trit::hub {

inline constexpr const char* kDefaultEndpoint = "https://huggingface.co";

struct HfRef {
  std::string owner;
  std::string repo;
  std::string file;  // empty: pick the repo's PQ2_0 (else Q2_0) GGUF

  std::string repo_id() const { return owner + "/" + repo; }
  // "owner/repo:file" (or "owner/repo" without a file): the name `trit models` shows.
  std::string to_string() const;
};

// Parses "OWNER/REPO[:FILE]"; throws trit::Error with the expected form on anything else.
// FILE may contain '/' (a file in a repo subfolder) but no "..", no leading '/', no '\\'.
HfRef parse_hf_ref(const std::string& text);

// The default model: Ternary-Bonsai-4B as PQ2_0 (the group-128 Q2_0 layout under ggml type 142),
// the file PrismML now publishes first; the seed's *-Q2_0.gguf is deprecated upstream.
HfRef default_model_ref();

// --hf-endpoint value if non-empty, else $HF_ENDPOINT, else kDefaultEndpoint; no trailing '/'.
std::string resolve_endpoint(const std::string& flag_value);

// {endpoint}/{owner}/{repo}/resolve/main/{file}, with each path segment percent-encoded.
std::string file_url(const std::string& endpoint, const HfRef& ref);
// {endpoint}/api/models/{owner}/{repo}
std::string api_url(const std::string& endpoint, const HfRef& ref);

// The file name derived from the repo name alone: "Ternary-Bonsai-4B-gguf" ->
// "Ternary-Bonsai-4B-Q2_0.gguf" (a trailing "-gguf"/"-GGUF"/"_gguf" is dropped).
std::string derived_q2_0_file(const std::string& repo);

// Picks the file to download from a repo's file list: the derived PQ2_0 name (the current upstream
// file), else the derived Q2_0 name (deprecated upstream), else the one *PQ2_0.gguf, else the one
// *Q2_0.gguf (group 128, not "_g64"), else the only .gguf. Returns "" when none fits.
std::string pick_default_file(const std::string& repo, const std::vector<std::string>& files);

}  // namespace trit::hub
