// AVX-512 VNNI ternary kernels (Q2_0 g128, Q2_0 g64, Q1_0) on the 16-row packed layout
// (packed_layout.h).
//
// One 64-byte code vector, shifted right by p*bits and masked, gives in each 32-bit lane i the
// codes of panel row i for 4 consecutive k; vpdpbusd multiplies them (unsigned) by the 4 int8
// activations of those k, broadcast from memory to all lanes, and adds into lane i. No
// horizontal sums and no shuffles: each lane is one output row. Per (token, block):
//   acc ends with -sum(q)             (the code-1 offset: sum (c - 1) q = sum c q - sum q)
//   out += float(acc) * (d_rows * s)  (16 weight scales of the block times the token's scale)
// Q1_0 bits are expanded to codes 0/2 so the same offset arithmetic applies (2b - 1 = +-1).
//
// Tiling: a tile is one panel (16 rows) x NT tokens (up to 8), accumulators in registers over the
// whole row. Prompt batches walk chunks of panels that stay in L2 while every 8-token tile passes
// over them. Decode (1 token) has its own loop (panels_decode): two panels at once, a software
// prefetch a few KB ahead in each stream, planes masked without shifts.
// GCC 12's avx512fintrin.h builds its `undefined` pass-through vectors as `__m512 __Y = __Y;`,
// which -Wmaybe-uninitialized reports at every inlined cvtph/cvtepi32 call: a header false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

constexpr int kRows = 16;
constexpr int kMaxTokens = 8;
// Decode prefetch distance per stream (two streams per core). On the Zen 5 machine, `trit bench`
// tg128 alternating binaries, medians of 4: 2048 bytes beat 1024 by 2% (4B), 10% (1.7B Q2_0) and
// 12% (1.7B Q1_0, whose loop is twice the arithmetic per byte); 3072 and 4096 were no better, nor
// (in bench_matmul) prefetching to L2 instead of L1.
constexpr int kPrefetchBytes = 2048;
constexpr size_t kChunkBytes = 192 * 1024;  // packed weights of one chunk (L2 is 1 MiB per core)

inline __m512i broadcast_q4(const int8_t* q) {
  int32_t v;
  std::memcpy(&v, q, 4);
  return _mm512_set1_epi32(v);
}

// acc + vpdpbusd(u, the 4 int8 activations at q broadcast to every lane), as one instruction with
// an embedded-broadcast memory operand. GCC 12 does not fold _mm512_set1_epi32 into vpdpbusd and
// emits a separate vpbroadcastd per product: one more vector op for every multiply-add of the
// prompt tile (removing it measured 5-10% more GMAC/s in bench_matmul n8-n512).
[[gnu::always_inline]] inline __m512i dpbusd_broadcast(__m512i acc, __m512i u, const int8_t* q) {
  asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*reinterpret_cast<const int32_t*>(q)));
  return acc;
}

// Codes of plane p of a raw vector, as bytes: Q2_0 -> 0..3, Q1_0 -> 0 or 2.
template <int Bits>
inline __m512i plane(__m512i raw, int p) {
  if constexpr (Bits == 2) {
    const __m512i mask = _mm512_set1_epi8(3);
    return p == 0 ? _mm512_and_si512(raw, mask) : _mm512_and_si512(_mm512_srli_epi16(raw, 2 * p), mask);
  } else {
    const __m512i mask = _mm512_set1_epi8(2);
    return p == 0 ? _mm512_and_si512(_mm512_add_epi8(raw, raw), mask)
                  : _mm512_and_si512(_mm512_srli_epi16(raw, p - 1), mask);
  }
}

template <int Bits, int Group, int NT>
inline void panel_tile(const PackedLayout& layout, const uint8_t* panel, const ActivationsView& x,
                       int64_t t0, int64_t row0, float* y) {
  constexpr int kPlanes = 8 / Bits;
  constexpr int kVectors = Group * Bits / 32;  // 64-byte vectors per block
  constexpr int kAcc = NT == 1 ? 4 : (NT <= 3 ? 2 : 1);
  const auto* scales = reinterpret_cast<const uint16_t*>(panel);
  const uint8_t* codes = panel + layout.scale_bytes();
  const int8_t* q[NT];
  const float* s[NT];
  const int32_t* qsum[NT];
  __m512 out[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) {
    q[t] = x.q + (t0 + t) * x.cols;
    s[t] = x.scale + (t0 + t) * x.blocks;
    qsum[t] = x.sum + (t0 + t) * x.blocks;
    out[t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < layout.blocks; ++b) {
    __m512i acc[kAcc][NT];
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t)
      for (int a = 0; a < kAcc; ++a) acc[a][t] = _mm512_setzero_si512();
    const uint8_t* block = codes + b * (kVectors * 64);
#pragma GCC unroll 8
    for (int j = 0; j < kVectors; ++j) {
      // Small batches (the decode steps of several sequences) stream the panel from DRAM once;
      // prompt batches find it in L2 after the first tile, where the prefetch costs one
      // instruction per 64 bytes next to NT x 4 vpdpbusd.
      _mm_prefetch(reinterpret_cast<const char*>(block + 64 * j + kPrefetchBytes), _MM_HINT_T0);
      const __m512i raw = _mm512_load_si512(block + 64 * j);
#pragma GCC unroll 8
      for (int p = 0; p < kPlanes; ++p) {
        const __m512i u = plane<Bits>(raw, p);
        const int64_t k = b * Group + 4 * (j * kPlanes + p);
#pragma GCC unroll 16
        for (int t = 0; t < NT; ++t)
          acc[p % kAcc][t] = dpbusd_broadcast(acc[p % kAcc][t], u, q[t] + k);
      }
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(scales + b * kRows)));
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      // The code-1 offset last: zeroed accumulators are free, a broadcast subtract from memory is
      // one op (the other order needs a negate and a broadcast from a general register).
      __m512i sum = _mm512_sub_epi32(acc[0][t], _mm512_set1_epi32(qsum[t][b]));
      for (int a = 1; a < kAcc; ++a) sum = _mm512_add_epi32(sum, acc[a][t]);
      out[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(d, _mm512_set1_ps(s[t][b])), out[t]);
    }
  }
  const int64_t valid = layout.rows - row0;
  const __mmask16 keep = valid >= kRows ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << valid) - 1);
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * layout.rows + row0, keep, out[t]);
}


// Decode (one token) over M panels at once: M independent memory streams per core, which keeps
// more DRAM reads in flight than one stream with the same prefetch distance.
// Q2_0 planes are masked in place, never shifted: plane p of a byte masked with 3 << 2p reads as
// code * 4^p (at most 192, still an unsigned byte), so each plane has its own accumulator and the
// block's sum is acc_0 + (acc_1 >> 2) + (acc_2 >> 4) + (acc_3 >> 6), exact because acc_p is a
// multiple of 4^p. That saves the three shifts per 64-byte vector that otherwise bound this loop's
// throughput (masks and vpdpbusd share the vector ports).
// Q1_0 has eight planes per byte and twice the products per byte: eight accumulators and their
// block-end combination cost more than shifting. The vector is shifted by 0, 2, 4 and 6 and each
// copy masked with bit 0 and bit 1 (b and 2b), so two accumulators serve all planes: the block's
// sum of codes 2b is 2 acc_0 + acc_1. Per 128-element block and stream: 81 vector ops instead of
// 87; from DRAM, alternating with a streaming read, 76-84% of its rate instead of 74-79%.
template <int Bits, int Group, int M>
inline void panels_decode(const PackedLayout& layout, const uint8_t* const* panel, const ActivationsView& x,
                          const int64_t* row0, float* y) {
  constexpr int kPlanes = 8 / Bits;
  constexpr int kVectors = Group * Bits / 32;
  constexpr int kAccs = Bits == 2 ? 4 : 2;  // accumulators per stream
  const uint8_t* codes[M];
  __m512 out[M];
  for (int m = 0; m < M; ++m) {
    codes[m] = panel[m] + layout.scale_bytes();
    out[m] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < layout.blocks; ++b) {
    __m512i acc[M][kAccs];
#pragma GCC unroll 8
    for (int m = 0; m < M; ++m)
      for (int a = 0; a < kAccs; ++a) acc[m][a] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int j = 0; j < kVectors; ++j) {
#pragma GCC unroll 4
      for (int m = 0; m < M; ++m) {
        const uint8_t* block = codes[m] + b * (kVectors * 64);
        _mm_prefetch(reinterpret_cast<const char*>(block + 64 * j + kPrefetchBytes), _MM_HINT_T0);
        const __m512i raw = _mm512_load_si512(block + 64 * j);
#pragma GCC unroll 8
        for (int p = 0; p < kPlanes; ++p) {
          const int64_t k = b * Group + 4 * (j * kPlanes + p);
          if constexpr (Bits == 2) {
            const __m512i mask = _mm512_set1_epi8(static_cast<char>(3 << (2 * p)));
            acc[m][p] = _mm512_dpbusd_epi32(acc[m][p], _mm512_and_si512(raw, mask), broadcast_q4(x.q + k));
          } else {
            const __m512i source = p < 2 ? raw : _mm512_srli_epi16(raw, 2 * (p / 2));
            const __m512i mask = _mm512_set1_epi8(static_cast<char>(1 << (p % 2)));
            acc[m][p % 2] = _mm512_dpbusd_epi32(acc[m][p % 2], _mm512_and_si512(source, mask), broadcast_q4(x.q + k));
          }
        }
      }
    }
    const __m512 s = _mm512_set1_ps(x.scale[b]);
#pragma GCC unroll 4
    for (int m = 0; m < M; ++m) {
      __m512i sum;
      if constexpr (Bits == 2) {
        sum = _mm512_sub_epi32(acc[m][0], _mm512_set1_epi32(x.sum[b]));
#pragma GCC unroll 4
        for (int p = 1; p < kPlanes; ++p) sum = _mm512_add_epi32(sum, _mm512_srai_epi32(acc[m][p], 2 * p));
      } else {
        sum = _mm512_sub_epi32(_mm512_add_epi32(_mm512_slli_epi32(acc[m][0], 1), acc[m][1]), _mm512_set1_epi32(x.sum[b]));
      }
      const auto* scales = reinterpret_cast<const uint16_t*>(panel[m]);
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(scales + b * kRows)));
      out[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(d, s), out[m]);
    }
  }
  for (int m = 0; m < M; ++m) {
    const int64_t valid = layout.rows - row0[m];
    const __mmask16 keep = valid >= kRows ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << valid) - 1);
    _mm512_mask_storeu_ps(y + row0[m], keep, out[m]);
  }
}

template <int Bits, int Group>
void tile_of(int nt, const PackedLayout& l, const uint8_t* panel, const ActivationsView& x, int64_t t0,
             int64_t row0, float* y) {
  switch (nt) {
    case 1: return panel_tile<Bits, Group, 1>(l, panel, x, t0, row0, y);
    case 2: return panel_tile<Bits, Group, 2>(l, panel, x, t0, row0, y);
    case 3: return panel_tile<Bits, Group, 3>(l, panel, x, t0, row0, y);
    case 4: return panel_tile<Bits, Group, 4>(l, panel, x, t0, row0, y);
    case 5: return panel_tile<Bits, Group, 5>(l, panel, x, t0, row0, y);
    case 6: return panel_tile<Bits, Group, 6>(l, panel, x, t0, row0, y);
    case 7: return panel_tile<Bits, Group, 7>(l, panel, x, t0, row0, y);
    default: return panel_tile<Bits, Group, 8>(l, panel, x, t0, row0, y);
  }
}

template <int Bits, int Group>
void walk_panel_chunks(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                       const ActivationsView& x, float* y);

template <int Bits, int Group>
void multiply_panels(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                     const ActivationsView& x, float* y) {
  const size_t stride = l.panel_bytes();
  if (x.n_tokens == 1) {  // decode: two streams, the two halves of the range side by side
    const int64_t half = (panel_end - panel_begin) / 2;
    for (int64_t i = 0; i < half; ++i) {
      const int64_t a = panel_begin + i, b = panel_begin + half + i;
      const uint8_t* panels[2] = {packed + a * stride, packed + b * stride};
      const int64_t rows[2] = {a * kRows, b * kRows};
      panels_decode<Bits, Group, 2>(l, panels, x, rows, y);
    }
    if ((panel_end - panel_begin) % 2 != 0) {
      const uint8_t* last[1] = {packed + (panel_end - 1) * stride};
      const int64_t row[1] = {(panel_end - 1) * kRows};
      panels_decode<Bits, Group, 1>(l, last, x, row, y);
    }
    return;
  }
  walk_panel_chunks<Bits, Group>(l, packed, panel_begin, panel_end, x, y);
}

#include "kernels/panel_walk.inc"

}  // namespace

const PackedTernaryKernels* avx512_packed_ternary(int bits, int group) { return packed_kernels_for(bits, group); }

}  // namespace trit::kernels
