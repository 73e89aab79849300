// The model options every model-using command shares (run, chat, serve, bench, perplexity, info),
// declared once so their names, help and behaviour agree:
//   -m, --model PATH              a local GGUF file
//   -hf, --hf OWNER/REPO[:FILE]   a Hugging Face repo (file: the repo's PQ2_0, else Q2_0, GGUF when omitted),
//                                 downloaded into the model cache on first use
//   --hf-endpoint URL             the hub host (else $HF_ENDPOINT, else https://huggingface.co)
// With neither -m nor -hf, commands that allow it use the default model, Ternary-Bonsai-4B.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace trit::cli {

struct ModelRefOptions {
  std::string model;        // -m / --model
  std::string hf;           // -hf / --hf / --hf-repo
  std::string hf_endpoint;  // --hf-endpoint

  enum class WhenNone {
    use_default,  // download (or take from the cache) Ternary-Bonsai-4B
    refuse,       // error: "no model given"
  };

  void add_to(CLI::App& app);
  bool given() const { return !model.empty() || !hf.empty(); }

  // A local path to a complete GGUF file. -m is checked to exist; -hf and the default come from
  // the cache or are downloaded into it (progress on stderr). Every failure is one trit::Error
  // line; an unreachable hub says so and how to continue offline (-m with a file, `trit mkmodel`).
  std::string resolve(WhenNone when_none = WhenNone::use_default) const;
};

// CLI11 only knows one-letter short options, so "-hf" would read as "-h -f" (help). main()
// calls this before parsing to turn "-hf X" / "-sys X" / "-md X" (and "-hf=X" ...) into "--hf X" / "--sys X"
// (up to "--"), the spellings llama.cpp users know.
void rewrite_single_dash_long_options(int argc, char** argv);

}  // namespace trit::cli
