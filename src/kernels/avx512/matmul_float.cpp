// Float-weight kernels compiled with avx512 flags: F16 rows widen with F16C (vcvtph2ps), BF16 by
// a shift, Q8_0 through the format's reference; the dot is the shared loop of float_rows.inc.
#include <immintrin.h>

#include <cstring>

#include "kernels/kernel_tables.h"

namespace {
inline void widen_row(const trit::formats::TypeInfo* type, const uint8_t* row, float* out, int64_t n) {
  int64_t c = 0;
  switch (type->format) {
    case trit::formats::Format::f16:
      for (; c + 8 <= n; c += 8)
        _mm256_storeu_ps(out + c, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c))));
      if (c < n) type->dequantize_row(row + 2 * c, out + c, n - c);
      return;
    case trit::formats::Format::bf16:
      for (; c + 8 <= n; c += 8) {
        __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c)));
        _mm256_storeu_ps(out + c, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
      }
      if (c < n) type->dequantize_row(row + 2 * c, out + c, n - c);
      return;
    default:
      type->dequantize_row(row, out, n);
  }
}
}  // namespace

#include "kernels/float_rows.inc"

namespace trit::kernels {
FloatRowsFn avx512_float_rows() { return float_rows; }
}  // namespace trit::kernels
