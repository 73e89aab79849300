// Per-ISA bodies of attend_segment() (attention.h): a run of query rows, heads [head_begin, head_end).
// Chosen once by active_isa(); the bodies never test the ISA themselves.
#pragma once
#include "kernels/attention.h"

namespace trit::kernels {

// Calls group(first, count, kv_head) for each run of query heads [first, first + count) within
// [head_begin, head_end) that read one kv head (GQA). A template over the caller's lambda, so each
// ISA file gets its own copy.
template <typename Group>
[[gnu::always_inline]] inline void for_each_kv_group(const AttentionShape& shape, int64_t head_begin, int64_t head_end,
                                                     Group&& group) {
  const int64_t per_kv_head = shape.n_head / shape.n_head_kv;
  for (int64_t h = head_begin; h < head_end;) {
    const int64_t kv_head = h / per_kv_head;
    const int64_t end = head_end < (kv_head + 1) * per_kv_head ? head_end : (kv_head + 1) * per_kv_head;
    group(h, end - h, kv_head);
    h = end;
  }
}

// A per-thread scratch of at least `floats` floats, owned by attention.cpp: the wide-ISA bodies
// take their working memory from here instead of holding a std::vector, whose members would be
// emitted there as weak symbols the linker might pick for portable callers. Valid until the
// thread's next call; the contents are not kept. Running out of memory here ends the process.
float* attention_scratch(int64_t floats) noexcept;

// The body of one segment (attend_segment()): heads [head_begin, head_end) of n_rows rows.
using AttendSegmentFn = void (*)(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                                 const AttentionShape& shape, int64_t pos, int64_t segment,
                                 const AttentionPartials& out, int64_t head_begin, int64_t head_end);

void attend_segment_generic(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                            const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                            int64_t head_begin, int64_t head_end);
// Need head_dim 16, 32, 64, 128 or 256 (the dispatcher falls back to the generic body otherwise).
void attend_segment_avx2(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                         const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                         int64_t head_begin, int64_t head_end);
void attend_segment_avx512(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                           const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                           int64_t head_begin, int64_t head_end);

// attend() through one body: every segment in order, merged (for tests and benchmarks of a body).
void attend_with(AttendSegmentFn body, const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                 const AttentionShape& shape, int64_t pos, float* out, int64_t out_stride, int64_t head_begin,
                 int64_t head_end);

}  // namespace trit::kernels
