// attend() on every ISA body against a plain f64 softmax-attention, on f16, f32, q8_0 and q4_0
// caches (K and V of different types too), with GQA and odd positions, and with scores spread over
// hundreds of units, where a softmax step that misses the running maximum overflows exp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "formats/q8_0.h"
#include "kernels/attention_heads.h"
#include "kernels/isa.h"

namespace trit::kernels {
namespace {

struct Case {
  int64_t n_head, n_head_kv, head_dim, pos;
  KvType type;
  float q_scale = 1.0f;  // query magnitude: 100 spreads the scores over hundreds of units
  KvType v_type = KvType::f16;
  bool same_types = true;  // V as K unless false
};

// One plane of a cache holding `values` ([pos][kv_head][head_dim], as the forward pass writes
// them) in pages as the engine's pool keeps them (kv_rows.h), the pages stored in reverse order so
// that a body which walks past a page's end into its neighbour reads the wrong rows; `values`
// becomes what the cache holds.
struct Plane {
  std::vector<uint8_t> bytes;
  std::vector<const uint8_t*> pages;
  KvPlane view;
  Plane(KvType type, std::vector<float>& values, int64_t rows, int64_t n_head_kv, int64_t head_dim) {
    const int64_t row_bytes = kv_row_bytes(type, head_dim);
    const int64_t n_pages = (rows + kKvPagePositions - 1) / kKvPagePositions;
    const int64_t page_bytes = n_head_kv * kKvPagePositions * row_bytes;
    bytes.resize(static_cast<size_t>(n_pages * page_bytes));
    for (int64_t i = 0; i < n_pages; ++i) pages.push_back(bytes.data() + (n_pages - 1 - i) * page_bytes);
    view = {type, pages.data(), 0, row_bytes, kKvPagePositions * row_bytes};
    for (int64_t p = 0; p < rows; ++p)
      for (int64_t g = 0; g < n_head_kv; ++g) {
        float* x = values.data() + (p * n_head_kv + g) * head_dim;
        uint8_t* row = const_cast<uint8_t*>(view.row(g, p));
        store_kv_row_generic(type, x, head_dim, row);
        widen_kv_rows_generic(type, row, row_bytes, 1, head_dim, x);  // the reference sees the cache's values
      }
  }
};

// attend()'s signature, for attend() itself and for attend_with() of one segment body.
using Attend = std::function<void(const float*, int64_t, int64_t, const KvLayerView&, const AttentionShape&, int64_t,
                                  float*, int64_t, int64_t, int64_t)>;
Attend through(AttendSegmentFn body) {
  return [body](const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
    attend_with(body, q, q_stride, n_rows, kv, shape, pos, out, out_stride, head_begin, head_end);
  };
}

TEST(Attention, EveryBodyMatchesF64Reference) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // "dispatch" is attend(), which picks the ISA body or falls back to generic for other head sizes.
  std::vector<std::pair<std::string, Attend>> bodies = {{"generic", through(attend_segment_generic)}, {"dispatch", attend}};
  for (Isa isa : supported_isas()) {
    if (isa == Isa::avx2) bodies.push_back({"avx2", through(attend_segment_avx2)});
    if (isa == Isa::avx512) bodies.push_back({"avx512", through(attend_segment_avx512)});
  }
  std::vector<Case> cases = {Case{4, 2, 64, 0, KvType::f16}, Case{4, 2, 64, 37, KvType::f16}, Case{8, 2, 128, 130, KvType::f32},
                             Case{6, 3, 32, 255, KvType::f16}, Case{2, 1, 16, 5, KvType::f32},
                             Case{32, 8, 128, 300, KvType::f16}, Case{4, 1, 256, 17, KvType::f16}, Case{3, 3, 48, 20, KvType::f32},
                             Case{8, 2, 128, 200, KvType::f16, 100.0f}, Case{4, 4, 64, 70, KvType::f32, 100.0f}};
  // The quantized types (head_dim a multiple of 32), alone and beside the others.
  for (KvType type : {KvType::q8_0, KvType::q4_0}) {
    cases.push_back({8, 2, 128, 131, type});
    cases.push_back({4, 1, 256, 66, type});
    cases.push_back({6, 3, 32, 255, type, 100.0f});
    cases.push_back({3, 3, 96, 9, type});
    cases.push_back({4, 2, 64, 77, type, 1.0f, KvType::f16, false});
    cases.push_back({4, 2, 64, 45, KvType::f16, 1.0f, type, false});
    cases.push_back({8, 4, 128, 64, type, 1.0f, KvType::f32, false});
  }
  cases.push_back({4, 2, 128, 100, KvType::q8_0, 1.0f, KvType::q4_0, false});
  // Past the first segments (attention.h): windows ending just past a boundary (a run of rows
  // straddles it), and scores spread wide, so merging segments must rescale by their maxima.
  cases.push_back({8, 2, 128, 1026, KvType::f16});
  cases.push_back({4, 2, 64, 2100, KvType::q8_0});
  cases.push_back({4, 1, 256, 1100, KvType::q4_0, 100.0f});
  cases.push_back({6, 3, 32, 2047, KvType::f32, 100.0f});
  for (const Case& c : cases) {
    const KvType v_type = c.same_types ? c.type : c.v_type;
    const int64_t kv_dim = c.n_head_kv * c.head_dim, rows = c.pos + 1;
    std::vector<float> q(c.n_head * c.head_dim), k(rows * kv_dim), v(rows * kv_dim);
    for (auto* vec : {&q, &k, &v})
      for (float& x : *vec) x = normal(rng);
    for (float& x : q) x *= c.q_scale;
    const Plane k_plane(c.type, k, rows, c.n_head_kv, c.head_dim), v_plane(v_type, v, rows, c.n_head_kv, c.head_dim);
    const KvLayerView view{k_plane.view, v_plane.view};
    const std::string types = std::string(kv_type_name(c.type)) + "/" + kv_type_name(v_type);
    // Reference: softmax(q k / sqrt(d)) v in f64, query head h on kv head h / (n_head / n_head_kv),
    // with the query rounded to q8_0 where K is quantized (attention.h), which scores use.
    std::vector<float> scored_q = q;
    if (c.type == KvType::q8_0 || c.type == KvType::q4_0)
      for (int64_t h = 0; h < c.n_head; ++h) {
        std::vector<formats::BlockQ8_0> blocks(c.head_dim / 32);
        formats::quantize_row_q8_0(&q[h * c.head_dim], blocks.data(), c.head_dim);
        formats::dequantize_row_q8_0(blocks.data(), &scored_q[h * c.head_dim], c.head_dim);
      }
    std::vector<double> expected(q.size());
    for (int64_t h = 0; h < c.n_head; ++h) {
      const int64_t kvh = h / (c.n_head / c.n_head_kv);
      std::vector<double> s(rows);
      double max = -INFINITY, sum = 0;
      for (int64_t p = 0; p < rows; ++p) {
        for (int64_t i = 0; i < c.head_dim; ++i) s[p] += double(scored_q[h * c.head_dim + i]) * k[p * kv_dim + kvh * c.head_dim + i];
        s[p] /= std::sqrt(double(c.head_dim));
        max = std::max(max, s[p]);
      }
      for (double& x : s) sum += x = std::exp(x - max);
      for (int64_t p = 0; p < rows; ++p)
        for (int64_t i = 0; i < c.head_dim; ++i)
          expected[h * c.head_dim + i] += s[p] / sum * v[p * kv_dim + kvh * c.head_dim + i];
    }
    for (auto [name, body] : bodies) {
      const bool wide_head = c.head_dim == 16 || c.head_dim == 32 || c.head_dim == 64 || c.head_dim == 128 || c.head_dim == 256;
      if ((name == "avx512" || name == "avx2") && !wide_head) continue;  // attend() falls back to generic for these ("dispatch")
      std::vector<float> out(q.size(), NAN);
      // All heads at once, then split at an odd head so a range starts inside a GQA group.
      const int64_t qd = c.n_head * c.head_dim;
      body(q.data(), qd, 1, view, {c.n_head, c.n_head_kv, c.head_dim}, c.pos, out.data(), qd, 0, c.n_head);
      for (size_t i = 0; i < out.size(); ++i)
        ASSERT_NEAR(out[i], expected[i], 1e-4) << name << " " << types << " pos " << c.pos << " element " << i;
      std::vector<float> split(q.size(), NAN);
      const int64_t cut = c.n_head / 2 + (c.n_head > 2 ? 1 : 0);
      body(q.data(), qd, 1, view, {c.n_head, c.n_head_kv, c.head_dim}, c.pos, split.data(), qd, 0, cut);
      body(q.data(), qd, 1, view, {c.n_head, c.n_head_kv, c.head_dim}, c.pos, split.data(), qd, cut, c.n_head);
      for (size_t i = 0; i < out.size(); ++i)
        ASSERT_NEAR(split[i], expected[i], 1e-4) << name << " " << types << " split at head " << cut << " element " << i;
      // A run of rows at positions first..pos (a prompt chunk) gives each row exactly what it gets
      // alone; the last row is the one checked against the reference above.
      const int64_t n_rows = std::min<int64_t>(c.pos + 1, 5), first = c.pos + 1 - n_rows;
      std::vector<float> rows_q(n_rows * qd);
      for (float& x : rows_q) x = normal(rng);
      std::copy(q.begin(), q.end(), rows_q.end() - qd);
      std::vector<float> together(n_rows * qd, NAN), alone(n_rows * qd, NAN);
      body(rows_q.data(), qd, n_rows, view, {c.n_head, c.n_head_kv, c.head_dim}, first, together.data(), qd, 1, c.n_head);
      for (int64_t r = 0; r < n_rows; ++r)
        body(rows_q.data() + r * qd, qd, 1, view, {c.n_head, c.n_head_kv, c.head_dim}, first + r, alone.data() + r * qd, qd,
             1, c.n_head);
      for (int64_t i = 0; i < n_rows * qd; ++i) {
        if (i % qd < c.head_dim) continue;  // head 0 was left out of both calls
        ASSERT_EQ(together[i], alone[i]) << name << " " << types << " run of " << n_rows << " rows, element " << i;
      }
    }
  }
}

// A caller that attends a long cache's segments separately (on other threads, in any order) and
// merges their partials in segment order gets attend()'s bits.
TEST(Attention, SegmentsAttendedApartMergeToAttendsBits) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const AttentionShape shape{8, 2, 128};
  const int64_t n_rows = 3, pos = 2 * kAttentionSegment + 5, rows = pos + n_rows, qd = shape.n_head * shape.head_dim;
  for (KvType type : {KvType::f16, KvType::q8_0}) {
    std::vector<float> k(rows * shape.n_head_kv * shape.head_dim), v(k.size()), q(n_rows * qd);
    for (auto* vec : {&k, &v, &q})
      for (float& x : *vec) x = 3.0f * normal(rng);
    const Plane k_plane(type, k, rows, shape.n_head_kv, shape.head_dim), v_plane(type, v, rows, shape.n_head_kv, shape.head_dim);
    const KvLayerView view{k_plane.view, v_plane.view};
    std::vector<float> expected(n_rows * qd, NAN);
    attend(q.data(), qd, n_rows, view, shape, pos, expected.data(), qd, 0, shape.n_head);

    const int64_t segments = attention_segments(pos + n_rows - 1), states = n_rows * shape.n_head;
    ASSERT_EQ(segments, 3);
    std::vector<std::vector<float>> buffers(segments, std::vector<float>(states * (shape.head_dim + 2), NAN));
    std::vector<AttentionPartials> partials;
    for (auto& b : buffers) partials.push_back({b.data(), b.data() + states * shape.head_dim, b.data() + states * (shape.head_dim + 1)});
    for (int64_t segment = segments - 1; segment >= 0; --segment)  // out of order, one kv head at a time
      for (int64_t kv_head = 0; kv_head < shape.n_head_kv; ++kv_head)
        attend_segment(q.data(), qd, n_rows, view, shape, pos, segment, partials[segment], kv_head * 4, kv_head * 4 + 4);
    std::vector<float> got(n_rows * qd, NAN);
    for (int64_t state = 0; state < states; ++state) {
      for (int64_t segment = 1; segment < segments; ++segment) merge_attention_partials(partials[0], partials[segment], state, shape.head_dim);
      finish_attention(partials[0], state, shape.head_dim, got.data() + state * shape.head_dim);
    }
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << kv_type_name(type) << " element " << i;
  }
}

}  // namespace
}  // namespace trit::kernels
