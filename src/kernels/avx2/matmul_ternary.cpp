// AVX2 ternary kernels (Q2_0 g128, Q2_0 g64, Q1_0) on the 8-row packed layout (packed_layout.h).
//
// As in the AVX-512 kernel, a 32-byte code vector shifted by p*bits and masked holds, in 32-bit
// lane i, the codes of panel row i for 4 consecutive k, and the token's 4 int8 activations for
// those k are broadcast to every lane. Without VNNI the multiply is vpmaddubsw (unsigned codes x
// signed activations -> int16 sums of 2 products, at most 2 * 3 * 127 = 762 in magnitude) and the
// int16 results of a whole block are added in int16: 32 k-groups * 762 = 24,384 < 32,767, so the
// sums stay exact (Q1_0 codes 0/2: 16,256). Once per (token, block) vpmaddwd with ones widens to
// int32, then  out += float(acc - sum(q)) * (d_rows * s)  as in activations.h.
// Tiles: one 8-row panel x up to 4 tokens (16 ymm registers).
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

constexpr int kRows = 8;
constexpr int kMaxTokens = 4;
constexpr int kPrefetchBytes = 4096;
constexpr size_t kChunkBytes = 192 * 1024;

inline __m256i broadcast_q4(const int8_t* q) {
  int32_t v;
  std::memcpy(&v, q, 4);
  return _mm256_set1_epi32(v);
}

template <int Bits>
inline __m256i plane(__m256i raw, int p) {
  if constexpr (Bits == 2) {
    const __m256i mask = _mm256_set1_epi8(3);
    return p == 0 ? _mm256_and_si256(raw, mask) : _mm256_and_si256(_mm256_srli_epi16(raw, 2 * p), mask);
  } else {
    const __m256i mask = _mm256_set1_epi8(2);
    return p == 0 ? _mm256_and_si256(_mm256_add_epi8(raw, raw), mask)
                  : _mm256_and_si256(_mm256_srli_epi16(raw, p - 1), mask);
  }
}

template <int Bits, int Group, int NT, bool Prefetch>
inline void panel_tile(const PackedLayout& layout, const uint8_t* panel, const ActivationsView& x,
                       int64_t t0, int64_t row0, float* y) {
  constexpr int kPlanes = 8 / Bits;
  constexpr int kVectors = Group * Bits / 32;  // 32-byte vectors per block
  // A block's products are summed in int16 lanes: Group / 4 vpmaddubsw results of at most
  // 2 * 3 * 127 each (codes up to 3, activations up to 127 in magnitude) must stay below 2^15.
  static_assert(Group / 4 * 2 * 3 * 127 <= 32767, "int16 block sums of this group could overflow");
  const auto* scales = reinterpret_cast<const uint16_t*>(panel);
  const uint8_t* codes = panel + layout.scale_bytes();
  const int8_t* q[NT];
  const float* s[NT];
  const int32_t* qsum[NT];
  __m256 out[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) {
    q[t] = x.q + (t0 + t) * x.cols;
    s[t] = x.scale + (t0 + t) * x.blocks;
    qsum[t] = x.sum + (t0 + t) * x.blocks;
    out[t] = _mm256_setzero_ps();
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < layout.blocks; ++b) {
    __m256i acc[NT];
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_si256();
    const uint8_t* block = codes + b * (kVectors * 32);
#pragma GCC unroll 16
    for (int j = 0; j < kVectors; ++j) {
      if constexpr (Prefetch)
        if (j % 2 == 0) _mm_prefetch(reinterpret_cast<const char*>(block + 32 * j + kPrefetchBytes), _MM_HINT_T0);
      const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(block + 32 * j));
#pragma GCC unroll 8
      for (int p = 0; p < kPlanes; ++p) {
        const __m256i u = plane<Bits>(raw, p);
        const int64_t k = b * Group + 4 * (j * kPlanes + p);
#pragma GCC unroll 16
        for (int t = 0; t < NT; ++t) acc[t] = _mm256_add_epi16(acc[t], _mm256_maddubs_epi16(u, broadcast_q4(q[t] + k)));
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(scales + b * kRows)));
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const __m256i sum = _mm256_sub_epi32(_mm256_madd_epi16(acc[t], ones), _mm256_set1_epi32(qsum[t][b]));
      out[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(d, _mm256_set1_ps(s[t][b])), out[t]);
    }
  }
  const int64_t valid = layout.rows - row0;
  if (valid >= kRows) {
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (t0 + t) * layout.rows + row0, out[t]);
  } else {
    const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(valid)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) _mm256_maskstore_ps(y + (t0 + t) * layout.rows + row0, keep, out[t]);
  }
}

template <int Bits, int Group>
void tile_of(int nt, const PackedLayout& l, const uint8_t* panel, const ActivationsView& x, int64_t t0,
             int64_t row0, float* y) {
  switch (nt) {
    case 1: return panel_tile<Bits, Group, 1, false>(l, panel, x, t0, row0, y);
    case 2: return panel_tile<Bits, Group, 2, false>(l, panel, x, t0, row0, y);
    case 3: return panel_tile<Bits, Group, 3, false>(l, panel, x, t0, row0, y);
    default: return panel_tile<Bits, Group, 4, false>(l, panel, x, t0, row0, y);
  }
}

template <int Bits, int Group>
void walk_panel_chunks(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                       const ActivationsView& x, float* y);

template <int Bits, int Group>
void multiply_panels(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                     const ActivationsView& x, float* y) {
  const size_t stride = l.panel_bytes();
  if (x.n_tokens == 1) {
    for (int64_t p = panel_begin; p < panel_end; ++p)
      panel_tile<Bits, Group, 1, true>(l, packed + p * stride, x, 0, p * kRows, y);
    return;
  }
  walk_panel_chunks<Bits, Group>(l, packed, panel_begin, panel_end, x, y);
}

#include "kernels/panel_walk.inc"

}  // namespace

const PackedTernaryKernels* avx2_packed_ternary(PackedCodes codes, int group) { return field_kernels_for(codes, group); }

}  // namespace trit::kernels
