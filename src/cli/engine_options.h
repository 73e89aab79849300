// Options shared by the commands that run the model (run, chat, serve, bench, perplexity),
// declared once so names, defaults and help agree everywhere.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "engine/engine.h"
#include "engine/generate_options.h"
#include "engine/sampling.h"

namespace trit::cli {

// -t, -c, -b, -ctk, -ctv, --kv-type, --activations
struct EngineFlags {
  engine::EngineOptions options;
  std::string kv_type, kv_type_k, kv_type_v;  // empty: not given
  std::string activations = "int8";

  void add_to(CLI::App& app, int64_t default_context = 4096);
  engine::EngineOptions resolve() const;
};

// --chat-template-file (run, chat, serve): a Jinja template that replaces the model's own.
struct ChatTemplateFlag {
  std::string file;

  void add_to(CLI::App& app);
  // Reads and parses the file now, so a bad one stops trit at start-up with its name.
  void check() const;
};

// --temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n, --presence-penalty,
// --frequency-penalty, --seed
struct SamplingFlags {
  engine::SamplingParams params;
  int64_t seed = -1;  // -1: random

  void add_to(CLI::App& app);
  engine::SamplingParams resolve() const;
};

// --spec none|ngram|draft|mtp, -md/--model-draft, --draft-max, --draft-min (run, chat, serve, bench):
// speculative decoding (GenerateOptions::speculation). -md alone means --spec draft.
struct SpeculationFlags {
  engine::SpeculationOptions options;
  std::string mode;         // empty: draft with -md, else none
  std::string draft_model;  // -md

  void add_to(CLI::App& app);
  // The mode the flags ask for; refuses (trit::Error) combinations that cannot run (--spec draft
  // without -md, -md with another mode, --draft-min above --draft-max). Cheap: call it before
  // loading the model, so a wrong flag fails at once.
  engine::SpeculationMode check() const;
  // check(), then loads the draft model (-md) for `target`, logging its start-up line.
  engine::SpeculationOptions resolve(engine::Engine& target) const;
};
// ", drafted N, accepted M (P%)" for the stderr summary; empty when nothing was drafted.
std::string draft_summary(const engine::GenerateStats& stats);

// --thinking-budget N (run, chat): at most N tokens inside <think>, then the engine closes the
// block itself and the answer follows (GenerateOptions::thinking_budget; -1: no budget).
void add_thinking_budget(CLI::App& app, int64_t& budget);

}  // namespace trit::cli
