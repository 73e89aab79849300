// `trit perplexity -m MODEL -f TEXT [-c 512] [--chunks N]`: perplexity over non-overlapping
// windows, llama-perplexity's method, and the KL divergence of MODEL from a base model on the same
// text (--kl-base BASE, or --save-logits FILE on the base and --kl-logits FILE later).
// See engine/perplexity.h for the method and engine/perplexity_logits.h for the saved format.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/model_ref.h"
#include "engine/perplexity.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"

namespace trit::cli {
namespace {

std::string read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, ": cannot open the text file");
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  if (text.empty()) fail(path, ": the text file is empty");
  return text;
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string fmt(const char* format, double a, double b = 0) {
  char buf[128];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

nlohmann::json estimate_json(const engine::Estimate& e) { return {{"value", e.value}, {"error", e.error}}; }

struct PerplexityCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  std::string text_file, kl_base, save_logits, kl_logits;
  int64_t chunks = -1;
  int64_t save_top_k = 128;
  bool json = false;
  CLI::Option* context_option = nullptr;
  CLI::Option* chunks_option = nullptr;

  void setup(CLI::App& app) {
    model.add_to(app);
    engine_flags.add_to(app, 512);
    context_option = app.get_option("--ctx-size");
    app.add_option("-f,--file", text_file, "Text file to evaluate (tokenized as one string)")->required();
    chunks_option = app.add_option("--chunks", chunks, "Most windows to evaluate (-1: all that fit)")->capture_default_str();
    app.add_option("--kl-base", kl_base, "Base model (e.g. the F16 file): also report KL(base || model), PPL of both");
    app.add_option("--save-logits", save_logits, "Save this model's distributions to FILE, for --kl-logits later");
    app.add_option("--save-top-k", save_top_k, "Tokens per position kept by --save-logits (the vocab size: all)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--kl-logits", kl_logits, "Compare against distributions saved by --save-logits on the base model");
    app.add_flag("--json", json, "Print the results as JSON");
  }

  int run() {
    if (!kl_base.empty() && !kl_logits.empty()) fail("give --kl-base or --kl-logits, not both");
    std::unique_ptr<engine::SavedLogitsReader> reader;
    engine::EngineOptions options = engine_flags.resolve();
    if (!kl_logits.empty()) {
      reader = std::make_unique<engine::SavedLogitsReader>(kl_logits);
      // The saved run fixes the windows; take them from the file unless given.
      if (context_option->count() == 0) options.context = reader->header().context;
      if (chunks_option->count() == 0) chunks = static_cast<int64_t>(reader->header().n_windows);
    }
    const std::string text = read_text(text_file);
    const std::string model_path = model.resolve();
    engine::Engine engine(model_path, options);
    log_info(engine.describe());
    const engine::WindowPlan plan = engine::plan_windows(engine.tokenizer(), text, engine.context(), chunks);

    std::unique_ptr<engine::Engine> base;
    if (!kl_base.empty()) {
      if (!std::filesystem::exists(kl_base)) fail(kl_base, ": no such file (--kl-base)");
      base = std::make_unique<engine::Engine>(kl_base, options);
      if (base->tokenizer().encode(text, false) != engine.tokenizer().encode(text, false))
        fail(kl_base, ": the base model tokenizes the text differently; KL needs the same tokenizer");
    }
    std::unique_ptr<engine::SavedLogitsWriter> writer;
    if (!save_logits.empty()) {
      engine::SavedLogitsHeader h;
      h.n_vocab = static_cast<uint32_t>(engine.config().n_vocab);
      h.context = static_cast<uint32_t>(plan.context);
      h.top_k = static_cast<uint32_t>(std::min<int64_t>(save_top_k, engine.config().n_vocab));
      h.n_windows = static_cast<uint64_t>(plan.n_windows);
      h.label = file_name(model_path);
      writer = std::make_unique<engine::SavedLogitsWriter>(save_logits, h, plan.tokens);
    }

    std::fprintf(stderr, "perplexity: %lld tokens, %lld windows of %lld, %lld scored per window\n",
                 static_cast<long long>(plan.text_tokens), static_cast<long long>(plan.n_windows),
                 static_cast<long long>(plan.context), static_cast<long long>(plan.scored_per_window()));
    Progress progress("perplexity", static_cast<uint64_t>(plan.n_windows), Progress::Mode::automatic,
                      Progress::Unit::items);
    engine::PerplexityInputs inputs;
    inputs.model = &engine;
    inputs.base = base.get();
    inputs.base_logits = reader.get();
    inputs.save = writer.get();
    inputs.save_top_k = save_top_k;
    engine::PerplexityResult r;
    try {
      r = engine::evaluate_perplexity(inputs, plan, [&](int64_t done, const engine::MeanStats&) { progress.update(done); });
    } catch (...) {
      progress.finish("failed");
      throw;
    }
    progress.finish();
    const std::string base_name = !kl_base.empty() ? file_name(kl_base)
                                  : reader         ? reader->header().label
                                                   : std::string();
    if (json)
      print_json(r, model_path, base_name);
    else
      print_text(r, model_path, base_name);
    return 0;
  }

  void print_text(const engine::PerplexityResult& r, const std::string& model_path, const std::string& base_name) {
    std::printf("%s on %s: %lld windows of %lld tokens, %lld scored, %.1f s (%.0f tokens/s)\n",
                file_name(model_path).c_str(), file_name(text_file).c_str(), static_cast<long long>(r.n_windows),
                static_cast<long long>(r.context), static_cast<long long>(r.scored), r.seconds, r.tokens_per_second);
    if (r.kl) {
      const engine::KlSummary& k = *r.kl;
      std::printf("KL divergence of %s from base %s over %llu tokens%s:\n", file_name(model_path).c_str(),
                  base_name.c_str(), static_cast<unsigned long long>(k.count),
                  r.kl_exact ? "" : fmt(" (KL over the base's top %.0f tokens + the rest: a lower bound)",
                                        double(r.kl_top_k)).c_str());
      std::printf("  PPL(model)      = %s\n", fmt("%.4f +/- %.4f", r.model_ppl.value, r.model_ppl.error).c_str());
      std::printf("  PPL(base)       = %s\n", fmt("%.4f +/- %.4f", r.base_ppl->value, r.base_ppl->error).c_str());
      std::printf("  PPL ratio       = %.6f\n", r.model_ppl.value / r.base_ppl->value);
      std::printf("  Mean KLD        = %s\n", fmt("%.6g +/- %.3g", k.mean_kl.value, k.mean_kl.error).c_str());
      std::printf("  99.0%% KLD       = %.6g\n", k.kl_99);
      std::printf("  Maximum KLD     = %.6g\n", k.kl_max);
      std::printf("  Same top token  = %s %%\n",
                  fmt("%.3f +/- %.3f", 100 * k.top1_agreement.value, 100 * k.top1_agreement.error).c_str());
      std::printf("  Mean delta-p    = %s %% (p_model - p_base of the next token)\n",
                  fmt("%.4f +/- %.4f", 100 * k.mean_delta_p.value, 100 * k.mean_delta_p.error).c_str());
      std::printf("  RMS delta-p     = %.4f %%\n", 100 * k.rms_delta_p);
    }
    std::printf("PPL = %.4f +/- %.4f\n", r.model_ppl.value, r.model_ppl.error);
  }

  void print_json(const engine::PerplexityResult& r, const std::string& model_path, const std::string& base_name) {
    nlohmann::json j = {{"model", model_path},
                        {"text", text_file},
                        {"context", r.context},
                        {"windows", r.n_windows},
                        {"scored_tokens", r.scored},
                        {"text_tokens", r.text_tokens},
                        {"seconds", r.seconds},
                        {"tokens_per_second", r.tokens_per_second},
                        {"ppl", estimate_json(r.model_ppl)}};
    if (r.kl) {
      const engine::KlSummary& k = *r.kl;
      j["base"] = base_name;
      j["base_ppl"] = estimate_json(*r.base_ppl);
      j["kl"] = {{"exact", r.kl_exact},
                 {"top_k", r.kl_exact ? nlohmann::json(nullptr) : nlohmann::json(r.kl_top_k)},
                 {"mean", estimate_json(k.mean_kl)},
                 {"p99", k.kl_99},
                 {"max", k.kl_max},
                 {"same_top", estimate_json(k.top1_agreement)},
                 {"mean_delta_p", estimate_json(k.mean_delta_p)},
                 {"rms_delta_p", k.rms_delta_p},
                 {"tokens", k.count}};
    }
    std::printf("%s\n", j.dump(2).c_str());
  }
};

CommandRegistration registration("perplexity", "Perplexity of a model on a text, and KL divergence against a base model",
                                 [](CLI::App& app) {
                                   auto command = std::make_shared<PerplexityCommand>();
                                   command->setup(app);
                                   return [command] { return command->run(); };
                                 });

}  // namespace
}  // namespace trit::cli
