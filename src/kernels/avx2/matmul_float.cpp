// Float-weight kernels compiled with avx2 flags: rows widened by widen_row_x86.inc, the dot is
// the shared loop of float_rows.inc.
#include <immintrin.h>

#include "kernels/kernel_tables.h"

#include "kernels/widen_row_x86.inc"

#include "kernels/float_rows.inc"

namespace trit::kernels {
FloatRowsFn avx2_float_rows() { return float_rows; }
}  // namespace trit::kernels
