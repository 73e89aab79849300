// AVX2 ternary kernels (Q2_0 g128, Q2_0 g64, Q1_0, PTQ1_0 as 2-bit fields) on the 8-row packed
// layout: the tile of avx2/panel_tile.inc with vpmaddubsw as the block dot.
//
// vpmaddubsw multiplies unsigned codes by signed activations into int16 sums of 2 products, at most
// 2 * 3 * 127 = 762 in magnitude, and the int16 results of a whole block are added in int16:
// 32 k-groups * 762 = 24,384 < 32,767, so the sums stay exact (Q1_0 codes 0/2: 16,256). Once per
// (token, block) vpmaddwd with ones widens them to int32.
//
// Each sum is pinned to a register after its add (an empty asm): integer adds associate, and GCC,
// seeing a whole block's products unrolled, otherwise computes all of them first and spills them
// to the stack to add them as a tree (Zen 3, pp512: 2x slower). With the chain kept, 6 tokens fit
// a tile: 6 sums, 6 float outputs, codes, plane, broadcast and mask are the 16 ymm registers.
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace trit::kernels {
namespace {

struct BlockDot {
  static constexpr int kMaxTokens = 6;  // tokens per tile (see above)
  // Group / 4 vpmaddubsw results of at most 2 * 3 * 127 each must stay below 2^15.
  static constexpr int kMaxGroup = 32767 / (2 * 3 * 127) * 4;
  [[gnu::always_inline]] static __m256i add(__m256i acc, __m256i u, __m256i q) {
    __m256i sum = _mm256_add_epi16(acc, _mm256_maddubs_epi16(u, q));
    asm("" : "+x"(sum));  // keeps the chain (see above)
    return sum;
  }
  [[gnu::always_inline]] static __m256i widen(__m256i acc) { return _mm256_madd_epi16(acc, _mm256_set1_epi16(1)); }
};

#include "kernels/avx2/panel_tile.inc"

}  // namespace

const PackedTernaryKernels* avx2_packed_ternary(PackedCodes codes, int group) { return field_kernels_for(codes, group); }

}  // namespace trit::kernels
