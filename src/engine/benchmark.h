// Throughput measurements like llama-bench: pp (prompt processing: one sequence, n_prompt tokens
// fed in batches) and tg (text generation: n_gen tokens decoded one at a time), from an empty
// context or, at a depth d, after d tokens already in the cache (llama-bench's -d: attention then
// reads d more positions per token). tg over several sequences ("tg128 x8") decodes them
// together, one batched forward per step as `trit serve --parallel` does, and counts the tokens
// of all of them. Each repetition starts from the same cache state (empty, or rewound to the
// depth); tokens are drawn at random from the vocabulary (speed does not depend on which ids
// they are).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/generate_options.h"

namespace trit::engine {

struct BenchSeries {
  BenchSeries(std::string test_name, int64_t tokens_per_repetition, int64_t sequences_decoded = 1, int64_t depth_tokens = 0)
      : test(std::move(test_name)), tokens(tokens_per_repetition), sequences(sequences_decoded), depth(depth_tokens) {}

  std::string test;                   // "pp512", "tg128", "tg128 x8", "tg128 @ d2048"
  int64_t tokens = 0;                 // per repetition, all sequences together
  int64_t sequences = 1;              // decoded together (tg only)
  int64_t depth = 0;                  // tokens already in each sequence's cache
  std::vector<double> seconds;        // per repetition
  // tg only: the machine's streaming read bandwidth (GB/s) measured just before each repetition,
  // with the same threads. This machine's bandwidth drifts by tens of percent over seconds (other
  // tenants), so each repetition is compared with its own measurement.
  std::vector<double> read_gbs;
  // tg with a grammar only: per repetition, the seconds spent masking the logits and advancing
  // the grammar (inside `seconds`, next to the forward passes and sampling).
  std::vector<double> grammar_seconds;
  // Greedy generation rows (bench_greedy_generation): per repetition, tokens drafted and accepted.
  std::vector<int64_t> drafted, accepted;
  std::vector<double> draft_seconds;  // of `seconds`, the drafter's time (a draft model's forwards)
  std::vector<double> tokens_per_second() const;
  double mean() const;                // of tokens/s
  double stddev() const;              // sample standard deviation of tokens/s
  double mean_read_gbs() const;       // mean of read_gbs
  // Weight bytes read per second on average: steps/s x bytes_per_step (tg).
  double mean_weight_gbs(double bytes_per_step) const;
  // Mean over repetitions of (steps/s x bytes_per_step) / read_gbs: the share of the measured
  // bandwidth that the weight reads of that repetition reached (a batched step reads the weights
  // once for all its sequences).
  double mean_fraction_of_bandwidth(double bytes_per_step) const;
};

// One warm-up pass (not recorded), then `repetitions` timed passes.
BenchSeries bench_prompt(Engine& engine, int64_t n_prompt, int repetitions, int64_t depth = 0);
BenchSeries bench_generation(Engine& engine, int64_t n_gen, int repetitions, int64_t sequences = 1, int64_t depth = 0);

// Greedy decoding of text that repeats, through the generation loop that run and serve use
// ("tg128 greedy", and "tg128 greedy + ngram" with speculation): the prompt is a pattern of
// pseudo-random tokens said several times, then n_gen tokens are generated (end-of-generation
// banned) and timed from the first. Compare the two rows of one run; drafted/accepted tell how
// often the drafts were right (with a real model the answer tends to continue the pattern; with
// random weights rarely, which shows what wrong drafts cost).
BenchSeries bench_greedy_generation(Engine& engine, int64_t n_gen, int repetitions, const SpeculationOptions& speculation);
int64_t greedy_generation_context(int64_t n_gen);  // the context those rows need

// The cost of verifying `drafts` drafted tokens ("verify 1+k @ d192"): one forward over a token and
// its drafts with a logits row each, after the greedy rows' prompt length; seconds are per forward,
// so tokens/s compares with the "verify 1+0" row (one token, as a plain decode step).
BenchSeries bench_verification(Engine& engine, int64_t drafts, int repetitions);

namespace grammar {
struct Grammar;
}
// tg as a constrained request runs it ("tg128 + grammar"): each step masks the logits with the
// grammar, samples (temperature 1) and feeds the sampled token; a finished text starts over.
// Compare with the plain tg row of the same run; grammar_seconds says how much is the mask.
BenchSeries bench_constrained_generation(Engine& engine, int64_t n_gen, int repetitions,
                                         std::shared_ptr<const grammar::Grammar> grammar, int64_t depth = 0);

}  // namespace trit::engine
