#include "kernels/attention.h"

#include "formats/q8_0.h"
#include "kernels/attention_heads.h"
#include "kernels/kernel_set.h"

#include <algorithm>
#include <cmath>
#include <vector>


namespace trit::kernels {
namespace {

// One query row at `pos` over positions [first, end) of its window, scalar, with a running max
// and sum (online softmax), into state `state` of out for each head. Each cache row is widened to
// f32 through its format's reference dequantizer as it is read. A quantized K cache is scored
// against the query rounded to q8_0 (the rule every body follows: attention_packs.inc).
void attend_row(const float* q, const KvLayerView& kv, const AttentionShape& shape, int64_t pos, int64_t first,
                int64_t end, const AttentionPartials& out, int64_t row_state, int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const bool round_query = kv.k.type == KvType::q8_0 || kv.k.type == KvType::q4_0;
  std::vector<float> k_row(d), v_row(d), rounded(d);
  std::vector<formats::BlockQ8_0> blocks(static_cast<size_t>(d / formats::BlockQ8_0::group));
  for (int64_t h = head_begin; h < head_end; ++h) {
    const float* qh = q + h * d;
    if (round_query) {
      formats::quantize_row_q8_0(qh, blocks.data(), d);
      formats::dequantize_row_q8_0(blocks.data(), rounded.data(), d);
      qh = rounded.data();
    }
    const int64_t kv_head = h / group;
    float* acc = out.acc + (row_state + h) * d;
    float running_max = -INFINITY, running_sum = 0.0f;
    std::fill(acc, acc + d, 0.0f);
    for (int64_t p = first; p < end && p <= pos; ++p) {
      widen_kv_rows_generic(kv.k.type, kv.k.row(kv_head, p), kv.k.row_bytes, 1, d, k_row.data());
      widen_kv_rows_generic(kv.v.type, kv.v.row(kv_head, p), kv.v.row_bytes, 1, d, v_row.data());
      float score = 0.0f;
      for (int64_t i = 0; i < d; ++i) score += qh[i] * k_row[i];
      score *= scale;
      if (score > running_max) {
        // Rescale what was accumulated under the old maximum.
        float correction = std::exp(running_max - score);
        running_sum *= correction;
        for (int64_t i = 0; i < d; ++i) acc[i] *= correction;
        running_max = score;
      }
      float weight = std::exp(score - running_max);
      running_sum += weight;
      for (int64_t i = 0; i < d; ++i) acc[i] += weight * v_row[i];
    }
    out.max[row_state + h] = running_max;
    out.sum[row_state + h] = running_sum;
  }
}

AttendSegmentFn body_for(const AttentionShape& shape) {
  static const AttendSegmentFn chosen = active_kernel_set().attend_segment;
  const int64_t d = shape.head_dim;
  const bool wide_ok = d == 16 || d == 32 || d == 64 || d == 128 || d == 256;
  return wide_ok ? chosen : attend_segment_generic;
}

// Two partials of n_rows x n_head states each (thread-local; the merge's running total and the
// segment being added), valid until the thread's next call.
struct PartialPair {
  AttentionPartials total, next;
  explicit PartialPair(int64_t states, int64_t d) {
    thread_local std::vector<float> buffer;
    const size_t per = static_cast<size_t>(states * (d + 2));
    if (buffer.size() < 2 * per) buffer.resize(2 * per);
    float* base = buffer.data();
    total = {base, base + states * d, base + states * (d + 1)};
    next = {base + per, base + per + states * d, base + per + states * (d + 1)};
  }
};

}  // namespace

float* attention_scratch(int64_t floats) noexcept {
  thread_local std::vector<float> scratch;
  if (static_cast<int64_t>(scratch.size()) < floats) scratch.resize(static_cast<size_t>(floats));
  return scratch.data();
}

void merge_attention_partials(const AttentionPartials& total, const AttentionPartials& next, int64_t state,
                              int64_t head_dim) {
  const float next_max = next.max[state];
  if (next_max == -INFINITY) return;  // the row sees none of the segment
  const float new_max = std::max(total.max[state], next_max);
  const float keep = std::exp(total.max[state] - new_max), add = std::exp(next_max - new_max);
  float* acc = total.acc + state * head_dim;
  const float* more = next.acc + state * head_dim;
  for (int64_t i = 0; i < head_dim; ++i) acc[i] = acc[i] * keep + more[i] * add;
  total.sum[state] = total.sum[state] * keep + next.sum[state] * add;
  total.max[state] = new_max;
}

void finish_attention(const AttentionPartials& total, int64_t state, int64_t head_dim, float* out) {
  const float inverse = 1.0f / total.sum[state];
  const float* acc = total.acc + state * head_dim;
  for (int64_t i = 0; i < head_dim; ++i) out[i] = acc[i] * inverse;
}

void attend_with(AttendSegmentFn body, const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                 const AttentionShape& shape, int64_t pos, float* out, int64_t out_stride, int64_t head_begin,
                 int64_t head_end) {
  const int64_t d = shape.head_dim;
  const PartialPair partials(n_rows * shape.n_head, d);
  const int64_t segments = attention_segments(pos + n_rows - 1);
  body(q, q_stride, n_rows, kv, shape, pos, 0, partials.total, head_begin, head_end);
  for (int64_t segment = 1; segment < segments; ++segment) {
    body(q, q_stride, n_rows, kv, shape, pos, segment, partials.next, head_begin, head_end);
    for (int64_t r = 0; r < n_rows; ++r)
      for (int64_t h = head_begin; h < head_end; ++h) merge_attention_partials(partials.total, partials.next, r * shape.n_head + h, d);
  }
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t h = head_begin; h < head_end; ++h)
      finish_attention(partials.total, r * shape.n_head + h, d, out + r * out_stride + h * d);
}

void attend(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
            int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  attend_with(body_for(shape), q, q_stride, n_rows, kv, shape, pos, out, out_stride, head_begin, head_end);
}

void attend_segment(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                    int64_t pos, int64_t segment, const AttentionPartials& out, int64_t head_begin, int64_t head_end) {
  body_for(shape)(q, q_stride, n_rows, kv, shape, pos, segment, out, head_begin, head_end);
}

void attend_segment_generic(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                            const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                            int64_t head_begin, int64_t head_end) {
  const int64_t first = segment * kAttentionSegment;
  for (int64_t r = 0; r < n_rows; ++r)
    attend_row(q + r * q_stride, kv, shape, pos + r, first, first + kAttentionSegment, out, r * shape.n_head, head_begin,
               head_end);
}

}  // namespace trit::kernels
