// Per-ISA bodies of attend() (attention.h): a run of query rows, heads [head_begin, head_end).
// Chosen once by active_isa(); the bodies never test the ISA themselves.
#pragma once
#include "kernels/attention.h"

namespace trit::kernels {

using AttendFn = void (*)(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                          const AttentionShape& shape, int64_t pos, float* out, int64_t out_stride,
                          int64_t head_begin, int64_t head_end);

void attend_generic(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                    int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end);
// Need head_dim 16, 32, 64, 128 or 256 (the dispatcher falls back to the generic body otherwise).
void attend_avx2(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                 int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end);
void attend_avx512(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                   int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end);

}  // namespace trit::kernels
