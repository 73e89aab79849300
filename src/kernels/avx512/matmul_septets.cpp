// AVX-512 VBMI kernels on septet panels (packed_layout.h: 4 ternary codes in 7 bits, the layout
// PTQ1_0 is repacked into; 1.75 bits a weight against Q2_0's 2).
//
// A 56-byte septet vector becomes the 4 planes of a field vector in five byte-wise steps, all
// without crossing a 64-bit lane's worth of work per septet:
//   spread   vpermb:          bytes 7g..7g+6 to 64-bit lane g (8 septets a lane, 56 bits);
//   shift    vpmultishiftqb:  septet j of a lane to byte j (bits 7j..7j+7; the top bit is the
//                             next septet's first, and nothing below reads it);
//   c_0..c_2 vpermb:          a 64-entry table of the byte's low 6 bits (bits 0-4 hold
//                             c_0 + 3 c_1 + 9 c_2; the table repeats over bit 5);
//   c_3      shift and mask:  bits 5-6.
// Each plane is then a vpdpbusd operand exactly as a Q2_0 plane (4 codes of 4 consecutive k in a
// 32-bit lane, one lane per row), so the offset arithmetic is Q2_0's: acc - sum(q) per block, times
// the 16 row scales and the token's scale. Per 64 septets (256 weights): 5 permutes/shifts on the
// shuffle port and 4 vpdpbusd, about the work of a Q2_0 vector, for 56 bytes instead of 64.
// (Five codes a byte, 1.6 bits, would read less again, but decoding a 256-value byte takes two
// 128-entry vpermi2b per code, each twice a vpermb's cost: measured, decode then ran at 0.8x Q2_0.)
// Decode (one token) runs two streams per core like the field kernels (one stream: 0.75x the
// speed; three or four: no better than two), one accumulator per plane, plane 3 masked in place;
// prompt batches use the shared tile (panel_tile.inc) with these vectors.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 avx512fintrin.h, see matmul_ternary.cpp
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

#include "kernels/avx512/panel_tile.inc"
#include "kernels/panel_chunks.inc"

struct SeptetTables {
  alignas(64) uint8_t spread[64];    // vpermb index: lane g byte i <- vector byte 7g + i
  alignas(64) uint8_t shifts[64];    // vpmultishiftqb control: byte j <- bits 7j..7j+7
  alignas(64) uint8_t code[3][64];   // c_p of the low 5 bits (0..26; 27..31 unused)
  constexpr SeptetTables() : spread(), shifts(), code() {
    for (int g = 0; g < 8; ++g)
      for (int i = 0; i < 8; ++i) {
        spread[8 * g + i] = static_cast<uint8_t>(7 * g + (i < 7 ? i : 6));
        shifts[8 * g + i] = static_cast<uint8_t>(7 * i);
      }
    for (int index = 0; index < 64; ++index) {
      const int v = index & 31;
      for (int p = 0, pow3 = 1; p < 3; ++p, pow3 *= 3) code[p][index] = static_cast<uint8_t>(v < 27 ? v / pow3 % 3 : 0);
    }
  }
};
constexpr SeptetTables kSeptetTables;

struct SeptetVectors {
  static constexpr int kPlanes = 4;
  static constexpr int kBytes = 56;
  __m512i spread, shifts, three, bits5_6;
  __m512i code[3];

  [[gnu::always_inline]] static SeptetVectors make() {
    SeptetVectors v;
    v.spread = _mm512_load_si512(kSeptetTables.spread);
    v.shifts = _mm512_load_si512(kSeptetTables.shifts);
    v.three = _mm512_set1_epi8(3);
    v.bits5_6 = _mm512_set1_epi8(0x60);
    for (int p = 0; p < 3; ++p) v.code[p] = _mm512_load_si512(kSeptetTables.code[p]);
    return v;
  }
  // The septets of the vector at `vector`, one a byte. The load takes 8 bytes past the vector
  // (the spread drops them; the packed buffer has 64 bytes of slack past its last panel).
  [[gnu::always_inline]] __m512i load(const uint8_t* vector) const {
    const __m512i raw = _mm512_loadu_si512(vector);
    return _mm512_multishift_epi64_epi8(shifts, _mm512_permutexvar_epi8(spread, raw));
  }
  [[gnu::always_inline]] __m512i plane(__m512i septets, int p) const {
    return p < 3 ? _mm512_permutexvar_epi8(septets, code[p]) : _mm512_and_si512(_mm512_srli_epi16(septets, 5), three);
  }
  // Plane 3 left in place: 32 c_3 (bits 5-6 masked, not shifted), one op instead of two; a sum of
  // its products is exactly 32 times the plane's, so it is shifted once per block instead.
  [[gnu::always_inline]] __m512i plane3_times_32(__m512i septets) const { return _mm512_and_si512(septets, bits5_6); }
};

// Decode over M panels at once, one accumulator per plane in each stream (vpdpbusd's latency).
template <int Group, int M>
inline void panels_decode(const SeptetVectors& vectors, const PackedLayout& l, const uint8_t* const (&panel)[M],
                          const ActivationsView& x, const int64_t (&row0)[M], float* y) {
  constexpr int kVectors = Group / 16;
  constexpr int kBlockBytes = kVectors * SeptetVectors::kBytes;
  const uint8_t* codes[M];
  __m512 out[M];
  for (int m = 0; m < M; ++m) {
    codes[m] = panel[m] + l.scale_bytes();
    out[m] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < l.blocks; ++b) {
    const int8_t* q = x.q + b * Group;
    __m512i acc[M][SeptetVectors::kPlanes];
#pragma GCC unroll 4
    for (int m = 0; m < M; ++m)
      for (int p = 0; p < SeptetVectors::kPlanes; ++p) acc[m][p] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int j = 0; j < kVectors; ++j) {
#pragma GCC unroll 4
      for (int m = 0; m < M; ++m) {
        const uint8_t* block = codes[m] + b * kBlockBytes;
        const uint8_t* vector = block + j * SeptetVectors::kBytes;
        // One prefetch per cache line of the block (7 for 8 vectors of 56 bytes): a per-vector
        // prefetch would repeat one line in 8, and measured 1-2% slower from DRAM.
        if (64 * j < kBlockBytes) _mm_prefetch(reinterpret_cast<const char*>(block + 64 * j + kPrefetchBytes), _MM_HINT_T0);
        const __m512i septets = vectors.load(vector);
#pragma GCC unroll 4
        for (int p = 0; p < 3; ++p)
          acc[m][p] = _mm512_dpbusd_epi32(acc[m][p], vectors.plane(septets, p), broadcast_q4(q + 16 * j + 4 * p));
        acc[m][3] = _mm512_dpbusd_epi32(acc[m][3], vectors.plane3_times_32(septets), broadcast_q4(q + 16 * j + 12));
      }
    }
    const __m512 s = _mm512_set1_ps(x.scale[b]);
#pragma GCC unroll 4
    for (int m = 0; m < M; ++m) {
      const __m512i sum = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(acc[m][0], acc[m][1]),
                                                            _mm512_add_epi32(acc[m][2], _mm512_srai_epi32(acc[m][3], 5))),
                                           _mm512_set1_epi32(x.sum[b]));
      const auto* scales = reinterpret_cast<const uint16_t*>(panel[m]);
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(scales + b * kRows)));
      out[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(d, s), out[m]);
    }
  }
  for (int m = 0; m < M; ++m) {
    const int64_t valid = l.rows - row0[m];
    const __mmask16 keep = valid >= kRows ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << valid) - 1);
    _mm512_mask_storeu_ps(y + row0[m], keep, out[m]);
  }
}

template <int Group>
void multiply_panels(const PackedLayout& l, const uint8_t* packed, int64_t panel_begin, int64_t panel_end,
                     const ActivationsView& x, float* y) {
  static_assert(Group % 16 == 0, "septet vectors hold 16 elements of each row");
  const SeptetVectors vectors = SeptetVectors::make();
  if (x.n_tokens == 1) {
    decode_in_streams<2>(l, packed, panel_begin, panel_end, [&]<int M>(const uint8_t* const (&panels)[M], const int64_t (&rows)[M]) {
      panels_decode<Group, M>(vectors, l, panels, x, rows, y);
    });
    return;
  }
  walk_chunks(l, packed, panel_begin, panel_end, x, [&](int nt, const uint8_t* panel, int64_t t0, int64_t row0) {
    vectors_tile<SeptetVectors, Group>(vectors, nt, l, panel, x, t0, row0, y);
  });
}

}  // namespace

const PackedTernaryKernels* avx512_packed_septets(int group) {
  static const PackedTernaryKernels g128{kRows, PackedCodes::septets, multiply_panels<128>};
  return group == 128 ? &g128 : nullptr;
}

}  // namespace trit::kernels
