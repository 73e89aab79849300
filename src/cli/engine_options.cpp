#include "cli/engine_options.h"

#include <filesystem>
#include <random>
#include <thread>

#include "cli/value_checks.h"
#include "engine/draft_model.h"
#include "engine/mtp_drafter.h"
#include "engine/prompt.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {

namespace {

// Far beyond any trained context, small enough that a KV cache size cannot overflow.
constexpr int64_t kMaxContextTokens = int64_t(1) << 24;

}  // namespace

void EngineFlags::add_to(CLI::App& app, int64_t default_context) {
  options.context = default_context;
  app.add_option("-t,--threads", options.threads, "Threads (default: physical cores)")->check(whole_number(0, 4096, "threads"));
  app.add_option("-c,--ctx-size", options.context, "Context size in tokens per sequence (0: the model's own)")
      ->capture_default_str()
      ->check(whole_number(0, kMaxContextTokens, "tokens"));
  app.add_option("-b,--batch-size", options.batch, "Most prompt tokens per forward step")
      ->capture_default_str()
      ->check(whole_number(1, kMaxContextTokens, "tokens"));
  const CLI::Validator kv_type_check(
      [](std::string& name) {
        return kernels::kv_type_by_name(name) ? std::string()
                                              : cat("unknown KV cache type '", name, "' (one of ", kernels::kv_type_names(), ")");
      },
      "TYPE");
  app.add_option("--ctk,--cache-type-k", kv_type_k, "KV cache type of K: " + kernels::kv_type_names() + " (default f16)")
      ->check(kv_type_check);
  app.add_option("--ctv,--cache-type-v", kv_type_v, "KV cache type of V (as -ctk)")->check(kv_type_check);
  app.add_option("--kv-type", kv_type, "KV cache type of both K and V unless -ctk / -ctv say otherwise")->check(kv_type_check);
  app.add_option("--activations", activations,
                 "Activation precision of the ternary matmuls: int8, or int8x2 (a second int8 term for the "
                 "rounding residual: results as with f16 weights, twice the prompt-processing work)")
      ->capture_default_str()
      ->check(CLI::IsMember({"int8", "int8x2"}));
}

engine::EngineOptions EngineFlags::resolve() const {
  engine::EngineOptions o = options;
  const std::string& k = kv_type_k.empty() ? kv_type : kv_type_k;
  const std::string& v = kv_type_v.empty() ? kv_type : kv_type_v;
  if (!k.empty()) o.kv_types.k = *kernels::kv_type_by_name(k);
  if (!v.empty()) o.kv_types.v = *kernels::kv_type_by_name(v);
  o.activations = activations == "int8x2" ? kernels::ActivationPrecision::int8x2 : kernels::ActivationPrecision::int8;
  // More threads than CPUs only take turns (a 1000-thread pool took 19 s per token).
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (cpus > 0 && o.threads > cpus) {
    log_warn(cat("-t ", o.threads, " is more than the ", cpus, " CPUs of this machine; using ", cpus));
    o.threads = cpus;
  }
  return o;
}

void ChatTemplateFlag::add_to(CLI::App& app) {
  app.add_option("--chat-template-file", file, "Jinja chat template to use instead of the model's own");
}

void ChatTemplateFlag::check() const {
  if (!file.empty()) engine::chat_format_from_file(file);
}

void SamplingFlags::add_to(CLI::App& app) {
  app.add_option("--temp,--temperature", params.temperature, "Sampling temperature (0: greedy)")
      ->capture_default_str()
      ->check(finite_number_from(0.0));
  app.add_option("--top-k", params.top_k, "Keep the k most likely tokens (0: off)")
      ->capture_default_str()
      ->check(whole_number(0, INT32_MAX, "tokens"));
  app.add_option("--top-p", params.top_p, "Keep the smallest set with this probability mass (1: off)")
      ->capture_default_str()
      ->check(finite_number_from(0.0))
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--min-p", params.min_p, "Drop tokens below min-p times the top probability (0: off)")
      ->capture_default_str()
      ->check(finite_number_from(0.0))
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--repeat-penalty", params.repeat_penalty, "Penalty for repeated tokens (1: off)")
      ->capture_default_str()
      ->check(finite_number_from(0.0, /*inclusive=*/false));
  app.add_option("--repeat-last-n", params.repeat_last_n, "Tokens the penalties look back over (-1: all)")
      ->capture_default_str()
      ->check(whole_number(-1, INT32_MAX, "tokens"));
  app.add_option("--presence-penalty", params.presence_penalty, "Subtracted once from seen tokens")
      ->capture_default_str()
      ->check(finite_number_from(-1e6));
  app.add_option("--frequency-penalty", params.frequency_penalty, "Subtracted per occurrence of seen tokens")
      ->capture_default_str()
      ->check(finite_number_from(-1e6));
  app.add_option("-s,--seed", seed, "Random seed (-1: random)")->capture_default_str();
}

void SpeculationFlags::add_to(CLI::App& app) {
  app.add_option("--spec", mode,
                 "Speculative decoding (guesses at the next tokens, verified in one forward; the same output, faster "
                 "when they are right): none; ngram (the tokens that followed the last occurrence of the newest ones "
                 "in the prompt and output: repetitive text); draft (a smaller model of the same vocabulary, -md); "
                 "mtp (the model's own multi-token-prediction head, in files that carry one). "
                 "Default: draft with -md, else none")
      ->check(CLI::IsMember({"none", "ngram", "draft", "mtp"}));
  app.add_option("--md,--model-draft", draft_model,
                 "Draft model for --spec draft: a GGUF file with the same vocabulary (e.g. Bonsai 1.7B for the 8B)");
  app.add_option("--draft-max", options.draft_max, "Most drafted tokens verified per forward")
      ->capture_default_str()
      ->check(whole_number(1, engine::kMaxDraftTokens, "tokens"));
  app.add_option("--draft-min", options.draft_min, "Shorter drafts are not verified")
      ->capture_default_str()
      ->check(whole_number(0, engine::kMaxDraftTokens, "tokens"));
  app.add_option("--draft-p-min", options.draft_p_min,
                 "A draft model or MTP head stops drafting at a token it gives less than this probability (0: off)")
      ->capture_default_str()
      ->check(finite_number_from(0.0))
      ->check(CLI::Range(0.0, 1.0));
}

engine::SpeculationMode SpeculationFlags::check() const {
  const std::string name = mode.empty() ? (draft_model.empty() ? "none" : "draft") : mode;
  if (name == "draft" && draft_model.empty())
    fail("--spec draft needs a draft model: -md FILE (a GGUF with the model's vocabulary)");
  if (name != "draft" && !draft_model.empty())
    fail("-md (", draft_model, ") is only used by --spec draft, not --spec ", name);
  if (!draft_model.empty() && !std::filesystem::is_regular_file(draft_model)) fail("-md ", draft_model, ": no such file");
  if (options.draft_p_min > 0.0f && name != "draft" && name != "mtp")
    fail("--draft-p-min applies to a draft model (--spec draft -md FILE) or the MTP head (--spec mtp), not --spec ", name);
  if (options.draft_min > options.draft_max)
    fail("--draft-min (", options.draft_min, ") must not exceed --draft-max (", options.draft_max, ")");
  return name == "ngram"   ? engine::SpeculationMode::ngram
         : name == "draft" ? engine::SpeculationMode::draft
         : name == "mtp"   ? engine::SpeculationMode::mtp
                           : engine::SpeculationMode::none;
}

engine::SpeculationOptions SpeculationFlags::resolve(engine::Engine& target) const {
  engine::SpeculationOptions s = options;
  s.mode = check();
  if (s.mode == engine::SpeculationMode::draft) {
    s.draft_model = std::make_shared<engine::DraftModel>(draft_model, target);
    log_info(s.draft_model->describe());
  }
  if (s.mode == engine::SpeculationMode::mtp) {
    s.mtp_model = std::make_shared<engine::MtpModel>(target);
    log_info(s.mtp_model->describe());
  }
  return s;
}

std::string draft_summary(const engine::GenerateStats& stats) {
  if (stats.drafted_tokens == 0) return "";
  return cat(", drafted ", stats.drafted_tokens, ", accepted ", stats.accepted_tokens, " (",
             100 * stats.accepted_tokens / stats.drafted_tokens, "%)");
}

void add_thinking_budget(CLI::App& app, int64_t& budget) {
  app.add_option("--thinking-budget", budget,
                 "Most tokens the model may think (inside <think>) before its answer is forced to begin (-1: no limit)")
      ->capture_default_str()
      ->check(whole_number(-1, int64_t(1) << 24, "tokens"));
}

engine::SamplingParams SamplingFlags::resolve() const {
  engine::SamplingParams p = params;
  if (p.temperature < 0) fail("--temp must not be negative");
  if (p.top_k < 0) fail("--top-k must not be negative");
  p.seed = seed < 0 ? std::random_device{}() : static_cast<uint64_t>(seed);
  return p;
}

}  // namespace trit::cli
