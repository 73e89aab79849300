// Float-weight kernels, portable build.
#include "kernels/kernel_tables.h"

namespace {
inline void widen_row(const trit::formats::TypeInfo* type, const uint8_t* row, float* out, int64_t n) {
  type->dequantize_row(row, out, n);
}
}  // namespace

#include "kernels/float_rows.inc"

namespace trit::kernels {
FloatRowsFn generic_float_rows() { return float_rows; }
}  // namespace trit::kernels
