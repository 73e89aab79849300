// AVX-VNNI ternary kernels (Q2_0 g128, Q2_0 g64, Q1_0, PTQ1_0 as 2-bit fields): the AVX2 set's
// 8-row panel tile (avx2/panel_tile.inc) with the VEX-encoded 256-bit vpdpbusd as the block dot.
//
// vpdpbusd adds the 4 products of unsigned codes and signed activations in each 32-bit lane straight
// into an int32 accumulator: one instruction where AVX2 needs vpmaddubsw + vpaddw, no widening at
// the block end, and exact for any group a format could have (group * 3 * 127 < 2^31).
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

struct BlockDot {
  static constexpr int kMaxTokens = 6;  // tokens per tile
  static constexpr int kMaxGroup = (1 << 30) / (3 * 127);
  [[gnu::always_inline]] static __m256i add(__m256i acc, __m256i u, __m256i q) {
    return _mm256_dpbusd_avx_epi32(acc, u, q);
  }
  [[gnu::always_inline]] static __m256i widen(__m256i acc) { return acc; }
};

#include "kernels/avx2/panel_tile.inc"

}  // namespace

const PackedTernaryKernels* avx_vnni_packed_ternary(PackedCodes codes, int group) { return field_kernels_for(codes, group); }

}  // namespace trit::kernels
