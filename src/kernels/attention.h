// Causal attention of query rows over a sequence's KV cache, with GQA: query head h reads kv head
// h / (n_head / n_head_kv). Scores are scaled by 1/sqrt(head_dim) and normalised with an f32
// softmax computed online (running max and sum), so no score row is materialised.
#pragma once
#include <cstdint>

#include "kernels/kv_rows.h"

namespace trit::kernels {

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
};

// For n_rows query rows of one sequence at positions pos, pos + 1, ...: row r (q + r * q_stride,
// [n_head][head_dim]) attends over cache rows 0..pos + r and writes out + r * out_stride. Heads
// [head_begin, head_end) only, so callers can split heads over threads. A run of rows shares each
// pass over the cache (prefill); every row's result is the same as attending it alone.
void attend(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
            int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end);

}  // namespace trit::kernels
