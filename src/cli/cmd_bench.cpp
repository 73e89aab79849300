// trit bench: pp and tg throughput like llama-bench, with the weight-read GB/s of tg next to
// the machine's streaming read bandwidth, measured before each tg repetition with the same threads.
// With --json-schema (or --grammar) a "tg + grammar" row decodes under constrained sampling, and
// the time spent in the grammar's mask is reported beside it. With --spec (ngram, or draft with -md)
// two greedy rows decode repeating text through the generation loop, without and with drafts, and
// the drafts' acceptance, the drafter's share of the time and the speed of verification alone (the
// drafter's time taken out: what the mechanism gives with a free drafter) are reported beside
// them; "verify 1+k" rows time one forward over a token and k drafts, for k = 0 .. --draft-max.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/model_ref.h"
#include "engine/benchmark.h"
#include "engine/grammar/gbnf_parser.h"
#include "engine/grammar/json_schema.h"
#include "kernels/isa.h"
#include "kernels/kernel_set.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {
namespace {

struct BenchCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  SpeculationFlags speculation;  // --spec: greedy rows with and without drafts, verification costs
  int64_t n_prompt = 512, n_gen = 128;
  int repetitions = 5;
  int64_t parallel = 1;
  int64_t depth = 0;
  std::string output = "md";
  std::string json_schema_file, grammar_file;

  void setup(CLI::App& app) {
    model.add_to(app);
    engine_flags.add_to(app, 0);
    app.add_option("-p,--n-prompt", n_prompt, "Prompt tokens for the pp test (0: skip)")->capture_default_str();
    app.add_option("-n,--n-gen", n_gen, "Generated tokens for the tg test (0: skip)")->capture_default_str();
    app.add_option("-r,--repetitions", repetitions, "Timed repetitions of each test")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("-d,--n-depth", depth,
                   "Run the tests after this many tokens already in the context (long-context speed)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--parallel", parallel,
                   "Also run tg with this many sequences decoded together (one batched forward per step, "
                   "as trit serve --parallel does); its t/s counts the tokens of all of them")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--json-schema", json_schema_file,
                   "Also run tg under the grammar of this JSON Schema file (constrained decoding: mask, "
                   "sample, advance), to read its cost against the plain tg row");
    app.add_option("--grammar", grammar_file, "Also run tg under this GBNF grammar file (as --json-schema)");
    speculation.add_to(app);
    app.add_option("-o,--output", output, "Output format")->capture_default_str()->check(CLI::IsMember({"md", "json"}));
  }

  int run() {
    if (n_prompt < 0 || n_gen < 0) fail("-p and -n must not be negative");
    engine::EngineOptions options = engine_flags.resolve();
    // Just enough context for the longer test, so the KV cache does not dominate memory.
    if (options.context == 0) options.context = depth + std::max<int64_t>(std::max(n_prompt, n_gen), 1);
    const bool greedy_rows = speculation.check() != engine::SpeculationMode::none && n_gen > 0;
    if (greedy_rows)
      options.context = std::max(options.context, engine::greedy_generation_context(n_gen));
    const std::string path = model.resolve();
    engine::Engine engine(path, options);
    log_info(engine.describe());
    const engine::SpeculationOptions drafting = speculation.resolve(engine);

    std::vector<engine::BenchSeries> results;
    if (n_prompt > 0) results.push_back(engine::bench_prompt(engine, n_prompt, repetitions, depth));
    if (n_gen > 0) results.push_back(engine::bench_generation(engine, n_gen, repetitions, 1, depth));
    if (n_gen > 0 && parallel > 1)
      results.push_back(engine::bench_generation(engine, n_gen, repetitions, parallel, depth));
    if (auto grammar = constraint(); grammar && n_gen > 0)
      results.push_back(engine::bench_constrained_generation(engine, n_gen, repetitions, grammar, depth));
    if (greedy_rows) {
      engine::SpeculationOptions plain = drafting;
      plain.mode = engine::SpeculationMode::none;
      results.push_back(engine::bench_greedy_generation(engine, n_gen, repetitions, plain));
      results.push_back(engine::bench_greedy_generation(engine, n_gen, repetitions, drafting));
      for (int64_t k = 0; k <= drafting.draft_max; ++k)
        results.push_back(engine::bench_verification(engine, k, repetitions));
    }
    const double weight_bytes = static_cast<double>(engine.model().weight_bytes());  // read once per tg step

    const auto& c = engine.config();
    const std::string name = std::filesystem::path(path).filename().string();
    const double size_gib = std::filesystem::file_size(path) / double(1 << 30);
    const double params_b = engine.model().parameter_count() / 1e9;
    const char* isa = kernels::isa_name(kernels::active_isa());
    const std::string type = engine.model().lm_head().view().type->name;

    if (output == "json") {
      nlohmann::json j;
      j["model"] = name;
      j["size_bytes"] = std::filesystem::file_size(path);
      j["params"] = engine.model().parameter_count();
      j["weight_type"] = type;
      j["threads"] = options.threads ? options.threads : engine.pool().size();
      j["isa"] = isa;
      j["kernels"] = kernels::active_kernel_set().description;
      j["cpu"] = kernels::cpu_model();
      j["layers"] = c.n_layers;
      j["weight_bytes_per_token"] = engine.model().weight_bytes();
      for (const auto& s : results) {
        nlohmann::json r;
        r["test"] = s.test;
        r["tokens"] = s.tokens;
        r["sequences"] = s.sequences;
        r["depth"] = s.depth;
        r["seconds"] = s.seconds;
        r["tokens_per_second"] = s.tokens_per_second();
        r["mean_tokens_per_second"] = s.mean();
        r["stddev_tokens_per_second"] = s.stddev();
        if (!s.read_gbs.empty()) {
          r["weight_read_gbs"] = s.mean_weight_gbs(weight_bytes);
          r["read_bandwidth_gbs"] = s.read_gbs;  // per repetition, measured just before it
          r["mean_read_bandwidth_gbs"] = s.mean_read_gbs();
          r["fraction_of_read_bandwidth"] = s.mean_fraction_of_bandwidth(weight_bytes);
        }
        if (!s.drafted.empty()) {
          r["drafted_tokens"] = s.drafted;  // per repetition
          r["accepted_tokens"] = s.accepted;
          r["acceptance_rate"] = acceptance(s);
          r["draft_seconds"] = s.draft_seconds;
          r["verification_tokens_per_second"] = verification_speed(s);
        }
        if (!s.grammar_seconds.empty()) {
          r["grammar_seconds"] = s.grammar_seconds;
          r["grammar_fraction_of_time"] = grammar_fraction(s);
          r["grammar_ms_per_token"] = grammar_ms_per_token(s);
        }
        j["results"].push_back(r);
      }
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("CPU: %s; kernels: %s\n\n", kernels::cpu_model().c_str(), kernels::active_kernel_set().description);
    std::printf("| model | size | params | type | threads | isa | test | t/s | weight GB/s | of read bw |\n");
    std::printf("| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: |\n");
    for (const auto& s : results) {
      std::string gbs = "", fraction = "";
      if (!s.read_gbs.empty()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f", s.mean_weight_gbs(weight_bytes));
        gbs = buf;
        std::snprintf(buf, sizeof buf, "%.0f%% of %.1f", 100.0 * s.mean_fraction_of_bandwidth(weight_bytes),
                      s.mean_read_gbs());
        fraction = buf;
      }
      std::printf("| %s | %.2f GiB | %.2f B | %s | %d | %s | %s | %.2f ± %.2f | %s | %s |\n", name.c_str(), size_gib,
                  params_b, type.c_str(), engine.pool().size(), isa, s.test.c_str(), s.mean(), s.stddev(),
                  gbs.c_str(), fraction.c_str());
    }
    const engine::BenchSeries* plain_greedy = nullptr;
    const engine::BenchSeries* one_token = nullptr;
    for (const auto& s : results) {
      if (s.test.find("verify 1+0 ") == 0) one_token = &s;
      if (s.drafted.empty()) continue;
      if (total(s.drafted) == 0 && s.test.find(" + ") == std::string::npos) {
        plain_greedy = &s;
        continue;
      }
      std::printf("\n%s: drafted %lld, accepted %lld tokens per repetition (acceptance %.0f%%); the drafter took %.0f%% "
                  "of the time; verification alone %.2f t/s",
                  s.test.c_str(), static_cast<long long>(total(s.drafted) / static_cast<int64_t>(s.drafted.size())),
                  static_cast<long long>(total(s.accepted) / static_cast<int64_t>(s.accepted.size())), 100.0 * acceptance(s),
                  100.0 * draft_fraction(s), verification_speed(s));
      if (plain_greedy && plain_greedy->mean() > 0)
        std::printf(" (%.2fx the plain greedy row; with the drafter %.2fx)", verification_speed(s) / plain_greedy->mean(),
                    s.mean() / plain_greedy->mean());
      std::printf("\n");
    }
    if (one_token && one_token->mean() > 0) {
      std::printf("\nverifying k drafts, one forward of 1+k tokens, against one token (%.2f ms):", 1000.0 / one_token->mean());
      for (const auto& s : results)
        if (s.test.find("verify 1+") == 0 && &s != one_token)
          std::printf(" k=%lld %.2fx", static_cast<long long>(s.tokens - 1), (s.tokens / s.mean()) * one_token->mean());
      std::printf("\n");
    }
    for (const auto& s : results)
      if (!s.grammar_seconds.empty())
        std::printf("\n%s: the grammar (mask + advance) took %.3f ms per token, %.1f%% of the time\n", s.test.c_str(),
                    grammar_ms_per_token(s), 100.0 * grammar_fraction(s));
    return 0;
  }

  // The grammar of --json-schema or --grammar, if either was given.
  std::shared_ptr<const engine::grammar::Grammar> constraint() const {
    if (!json_schema_file.empty() && !grammar_file.empty()) fail("give --json-schema or --grammar, not both");
    if (!grammar_file.empty())
      return std::make_shared<engine::grammar::Grammar>(engine::grammar::parse_gbnf(read_text(grammar_file)));
    if (json_schema_file.empty()) return nullptr;
    nlohmann::json schema;
    try {
      schema = nlohmann::json::parse(read_text(json_schema_file));
    } catch (const nlohmann::json::exception& e) {
      fail(json_schema_file, " is not JSON: ", e.what());
    }
    return std::make_shared<engine::grammar::Grammar>(
        engine::grammar::parse_gbnf(engine::grammar::json_schema_to_gbnf(schema)));
  }
  static std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read ", path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static int64_t total(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }
  static double acceptance(const engine::BenchSeries& s) {
    const int64_t drafted = total(s.drafted);
    return drafted > 0 ? static_cast<double>(total(s.accepted)) / static_cast<double>(drafted) : 0.0;
  }
  // Of the timed seconds, the drafter's share; tokens/s without the drafter's time.
  static double draft_fraction(const engine::BenchSeries& s) {
    double d = 0, t = 0;
    for (size_t i = 0; i < s.seconds.size() && i < s.draft_seconds.size(); ++i) t += s.seconds[i], d += s.draft_seconds[i];
    return t > 0 ? d / t : 0.0;
  }
  static double verification_speed(const engine::BenchSeries& s) {
    double d = 0, t = 0;
    for (size_t i = 0; i < s.seconds.size() && i < s.draft_seconds.size(); ++i) t += s.seconds[i], d += s.draft_seconds[i];
    return t > d ? static_cast<double>(s.tokens) * static_cast<double>(s.seconds.size()) / (t - d) : 0.0;
  }
  static double grammar_fraction(const engine::BenchSeries& s) {
    double g = 0, t = 0;
    for (size_t i = 0; i < s.seconds.size(); ++i) t += s.seconds[i], g += s.grammar_seconds[i];
    return t > 0 ? g / t : 0.0;
  }
  static double grammar_ms_per_token(const engine::BenchSeries& s) {
    double g = 0;
    for (double x : s.grammar_seconds) g += x;
    return s.grammar_seconds.empty() ? 0.0 : 1000.0 * g / (s.grammar_seconds.size() * s.tokens);
  }
};

CommandRegistration registration("bench", "Measure prompt (pp) and generation (tg) throughput", [](CLI::App& app) {
  auto command = std::make_shared<BenchCommand>();
  command->setup(app);
  return [command] { return command->run(); };
});

}  // namespace
}  // namespace trit::cli
