// `trit mkmodel`: a synthetic Qwen3 or Qwen3.5 (qwen35) model in the exact Bonsai layout
// (tools/synthetic_model.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "formats/type_info.h"
#include "tools/synthetic_model.h"
#include "util/progress.h"
#include "util/timer.h"

namespace trit::cli {
namespace {

std::string human_params(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else std::snprintf(buf, sizeof buf, "%.1f M", n / 1e6);
  return buf;
}

CommandRun setup(CLI::App& sub) {
  auto o = std::make_shared<tools::SyntheticOptions>();
  auto quiet = std::make_shared<bool>(false);
  sub.add_option("--preset", o->preset, "Model shape: " + formats::join_names(tools::preset_names()))
      ->check(CLI::IsMember(tools::preset_names()))
      ->capture_default_str();
  sub.add_option("--type", o->type, "Weight type: " + formats::join_names(formats::synthetic_type_names()))
      ->check(CLI::IsMember(formats::synthetic_type_names()))
      ->capture_default_str();
  sub.add_option("--tokenizer", o->tokenizer_json,
                 "Hugging Face tokenizer.json to embed (default: a small built-in byte vocab)");
  sub.add_option("--tokenizer-config", o->tokenizer_config,
                 "tokenizer_config.json (chat template, special tokens); needs --tokenizer");
  sub.add_option("--seed", o->seed, "Random seed; the same seed gives the same file")->capture_default_str();
  sub.add_option("-o,--output", o->output, "Output GGUF file")->required();
  sub.add_flag("--hadamard", o->hadamard,
               "Bonsai 2's Hadamard rotation: write the prism.hadamard.* keys (random signs); the stored weights are "
               "the rotated ones");
  sub.add_option("--hadamard-block", o->hadamard_block,
                 "Rotation block (a power of two; default: the largest up to 1024 that divides every input width)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--primal-twin", o->primal_twin,
                 "With --hadamard: also write the same model unrotated (dense F32 where rotated, no Hadamard keys), "
                 "for engines without the rotation");
  sub.add_flag("--mtp", o->mtp,
               "qwen35 presets: add a multi-token-prediction block (nextn_predict_layers = 1) for --spec mtp");
  sub.add_flag("--force", o->overwrite, "Overwrite an existing output file");
  sub.add_flag("-q,--quiet", *quiet, "No progress or summary output");
  return [o, quiet]() {
    o->progress = !*quiet;
    Timer timer;
    tools::SyntheticResult r = tools::make_synthetic_model(*o);
    if (!*quiet)
      std::printf("wrote %s: preset %s, type %s, %zu tensors, %s parameters, vocab %lld, %s%s, %.1f s\n",
                  o->output.c_str(), o->preset.c_str(), o->type.c_str(), r.tensors, human_params(r.parameters).c_str(),
                  static_cast<long long>(r.vocab), Progress::format_bytes(r.file_bytes).c_str(),
                  r.hadamard_block ? (", Hadamard block " + std::to_string(r.hadamard_block) +
                                      (o->primal_twin.empty() ? "" : ", primal twin " + o->primal_twin))
                                         .c_str()
                                   : "",
                  timer.seconds());
    return 0;
  };
}

const CommandRegistration registration("mkmodel", "Make a synthetic Qwen3 or Qwen3.5 model in the Bonsai GGUF layout",
                                       setup);

}  // namespace
}  // namespace trit::cli
