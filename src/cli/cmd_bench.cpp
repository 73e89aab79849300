// trit bench: pp and tg throughput like llama-bench, with the weight-read GB/s of tg next to
// the machine's streaming read bandwidth, measured before each tg repetition with the same threads.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/model_ref.h"
#include "engine/benchmark.h"
#include "kernels/isa.h"
#include "kernels/kernel_set.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {
namespace {

struct BenchCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  int64_t n_prompt = 512, n_gen = 128;
  int repetitions = 5;
  int64_t parallel = 1;
  int64_t depth = 0;
  std::string output = "md";

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
    app.add_option("-o,--output", output, "Output format")->capture_default_str()->check(CLI::IsMember({"md", "json"}));
  }

  int run() {
    if (n_prompt < 0 || n_gen < 0) fail("-p and -n must not be negative");
    engine::EngineOptions options = engine_flags.resolve();
    // Just enough context for the longer test, so the KV cache does not dominate memory.
    if (options.context == 0) options.context = depth + std::max<int64_t>(std::max(n_prompt, n_gen), 1);
    const std::string path = model.resolve();
    engine::Engine engine(path, options);
    log_info(engine.describe());

    std::vector<engine::BenchSeries> results;
    if (n_prompt > 0) results.push_back(engine::bench_prompt(engine, n_prompt, repetitions, depth));
    if (n_gen > 0) results.push_back(engine::bench_generation(engine, n_gen, repetitions, 1, depth));
    if (n_gen > 0 && parallel > 1)
      results.push_back(engine::bench_generation(engine, n_gen, repetitions, parallel, depth));
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
        if (s.test.rfind("tg", 0) == 0) {
          r["weight_read_gbs"] = s.mean_weight_gbs(weight_bytes);
          r["read_bandwidth_gbs"] = s.read_gbs;  // per repetition, measured just before it
          r["mean_read_bandwidth_gbs"] = s.mean_read_gbs();
          r["fraction_of_read_bandwidth"] = s.mean_fraction_of_bandwidth(weight_bytes);
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
      if (s.test.rfind("tg", 0) == 0) {
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
    return 0;
  }
};

CommandRegistration registration("bench", "Measure prompt (pp) and generation (tg) throughput", [](CLI::App& app) {
  auto command = std::make_shared<BenchCommand>();
  command->setup(app);
  return [command] { return command->run(); };
});

}  // namespace
}  // namespace trit::cli
