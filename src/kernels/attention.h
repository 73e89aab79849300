// Causal attention of query rows over a sequence's KV cache, with GQA: query head h reads kv head
// h / (n_head / n_head_kv). Scores are scaled by 1/sqrt(head_dim) and normalised with an f32
// softmax computed online (running max and sum), so no score row is materialised.
//
// Positions are attended in segments of kAttentionSegment (fixed boundaries 0, 1024, 2048, ...):
// each segment gives every (row, head) a partial softmax (its own max, sum and unnormalised
// output), and the partials are merged in segment order. The boundaries depend on nothing else
// (not the thread count, not the run of rows), so a caller may attend a long cache's segments on
// different threads (flash-decoding) and merge them itself: the bits are attend()'s.
#pragma once
#include <cstdint>

#include "kernels/kv_rows.h"

namespace trit::kernels {

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
};

constexpr int64_t kAttentionSegment = 1024;  // a multiple of kKvPagePositions

// Segments a row at `last_pos` attends over: 0 .. attention_segments(last_pos) - 1.
constexpr int64_t attention_segments(int64_t last_pos) { return last_pos / kAttentionSegment + 1; }

// One segment's partial softmax for n_rows x n_head states; state (row r, head h) is r * n_head + h.
// A state that sees no position of the segment has max -inf, sum 0 and acc 0.
struct AttentionPartials {
  float* acc;  // [states][head_dim]: sum over the segment of exp(score - max) v
  float* max;  // [states]: the highest score in the segment
  float* sum;  // [states]: sum over the segment of exp(score - max)
};

// For n_rows query rows of one sequence at positions pos, pos + 1, ...: row r (q + r * q_stride,
// [n_head][head_dim]) attends over cache rows 0..pos + r and writes out + r * out_stride. Heads
// [head_begin, head_end) only, so callers can split heads over threads. A run of rows shares each
// pass over the cache (prefill); every row's result is the same as attending it alone.
void attend(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
            int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end);

// attend()'s work for segment `segment` only: the heads' partials of every row (rows whose
// window ends before the segment get empty ones).
void attend_segment(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                    int64_t pos, int64_t segment, const AttentionPartials& out, int64_t head_begin, int64_t head_end);

// total = the merge of total (segments 0..j-1) and next (segment j), for state `state`.
void merge_attention_partials(const AttentionPartials& total, const AttentionPartials& next, int64_t state,
                              int64_t head_dim);
// out[0..head_dim) = state `state`'s output acc / sum.
void finish_attention(const AttentionPartials& total, int64_t state, int64_t head_dim, float* out);

}  // namespace trit::kernels
