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
// Tiling (panel_tile.inc): a tile is one panel (16 rows) x NT tokens (up to 12), accumulators in
// registers over the whole row. Prompt batches walk chunks of panels that stay in L2 while every
// token tile passes over them. Decode (1 token) has its own loop (panels_decode): two panels at once, a software
// prefetch a few KB ahead in each stream, planes masked without shifts.
// GCC 12's avx512fintrin.h builds its `undefined` pass-through vectors as `__m512 __Y = __Y;`,
// which -Wmaybe-uninitialized reports at every inlined cvtph/cvtepi32 call: a header false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

#include "kernels/avx512/panel_tile.inc"

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
  vectors_tile<FieldVectors<Bits>, Group>(FieldVectors<Bits>{}, nt, l, panel, x, t0, row0, y);
}

template <int Bits, int Group>
void walk_panel_chunks(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                       const ActivationsView& x, float* y);

template <int Bits, int Group>
void multiply_panels(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                     const ActivationsView& x, float* y) {
  if (x.n_tokens == 1) {
    decode_in_streams<2>(l, packed, panel_begin, panel_end, [&]<int M>(const uint8_t* const (&panels)[M], const int64_t (&rows)[M]) {
      panels_decode<Bits, Group, M>(l, panels, x, rows, y);
    });
    return;
  }
  walk_panel_chunks<Bits, Group>(l, packed, panel_begin, panel_end, x, y);
}

#include "kernels/panel_walk.inc"

}  // namespace

const PackedTernaryKernels* avx512_packed_ternary(PackedCodes codes, int group) {
  return codes == PackedCodes::septets ? avx512_packed_septets(group) : field_kernels_for(codes, group);
}

}  // namespace trit::kernels
