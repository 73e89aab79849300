// reference_logits FILE TOKEN_ID...: the f64 qwen35 reference (tests/model/reference_qwen35.h) at the
// last position of a token sequence, for files too large for the tests (the weights are read one
// layer at a time): its ten largest logits, to decide whether two engines that chose different
// tokens there stood at a near-tie. Prints "rank token logit" lines, largest first.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "model/reference_qwen35.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FILE TOKEN_ID...\n", argv[0]);
    return 2;
  }
  try {
    std::vector<int32_t> tokens;
    for (int i = 2; i < argc; ++i) tokens.push_back(static_cast<int32_t>(std::stol(argv[i])));
    const trit::gguf::File file = trit::gguf::File::open(argv[1]);
    const trit::test::ReferenceQwen35 reference(file, trit::test::ReferenceQwen35::Residency::layer_by_layer);
    const std::vector<double> logits = reference.forward(tokens, /*last_only=*/true).back();
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t shown = std::min<size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + shown, order.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    for (size_t r = 0; r < shown; ++r) std::printf("%zu %d %.9f\n", r + 1, order[r], logits[order[r]]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reference_logits: %s\n", e.what());
    return 1;
  }
}
