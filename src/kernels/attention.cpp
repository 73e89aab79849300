#include "kernels/attention.h"

#include "formats/q8_0.h"
#include "kernels/attention_heads.h"
#include "kernels/kernel_set.h"

#include <algorithm>
#include <cmath>
#include <vector>


namespace trit::kernels {
namespace {

// One query row at `pos`, scalar, with a running max and sum (online softmax). Each cache row is
// widened to f32 through its format's reference dequantizer as it is read. A quantized K cache is
// scored against the query rounded to q8_0 (the rule every body follows: attention_packs.inc).
void attend_row(const float* q, const KvLayerView& kv, const AttentionShape& shape, int64_t pos, float* out,
                int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const bool round_query = kv.k.type == KvType::q8_0 || kv.k.type == KvType::q4_0;
  std::vector<float> acc(d), k_row(d), v_row(d), rounded(d);
  std::vector<formats::BlockQ8_0> blocks(static_cast<size_t>(d / formats::BlockQ8_0::group));
  for (int64_t h = head_begin; h < head_end; ++h) {
    const float* qh = q + h * d;
    if (round_query) {
      formats::quantize_row_q8_0(qh, blocks.data(), d);
      formats::dequantize_row_q8_0(blocks.data(), rounded.data(), d);
      qh = rounded.data();
    }
    const int64_t kv_head = h / group;
    float running_max = -INFINITY, running_sum = 0.0f;
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t p = 0; p <= pos; ++p) {
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
    for (int64_t i = 0; i < d; ++i) out[h * d + i] = acc[i] / running_sum;
  }
}

}  // namespace

float* attention_scratch(int64_t floats) noexcept {
  thread_local std::vector<float> scratch;
  if (static_cast<int64_t>(scratch.size()) < floats) scratch.resize(static_cast<size_t>(floats));
  return scratch.data();
}

void attend(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
            int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  static const AttendFn chosen = active_kernel_set().attend;
  const int64_t d = shape.head_dim;
  const bool wide_ok = d == 16 || d == 32 || d == 64 || d == 128 || d == 256;
  const AttendFn body = wide_ok ? chosen : attend_generic;
  body(q, q_stride, n_rows, kv, shape, pos, out, out_stride, head_begin, head_end);
}

void attend_generic(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                    int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  for (int64_t r = 0; r < n_rows; ++r)
    attend_row(q + r * q_stride, kv, shape, pos + r, out + r * out_stride, head_begin, head_end);
}

}  // namespace trit::kernels
