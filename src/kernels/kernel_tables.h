// The per-ISA weight-kernel entry points, gathered into one KernelSet per ISA by kernel_sets.cpp;
// the kernel bodies never test the ISA themselves.
#pragma once
#include <cstdint>

#include "formats/type_info.h"
#include "kernels/activations.h"
#include "kernels/matmul.h"
#include "kernels/packed_layout.h"

namespace trit::kernels {

// y[t * rows + r] for the rows of panels [panel_begin, panel_end) and every token of x.
using PackedTernaryFn = void (*)(const PackedLayout& layout, const uint8_t* packed,
                                 int64_t panel_begin, int64_t panel_end,
                                 const ActivationsView& x, float* y);

struct PackedTernaryKernels {
  int rows_per_panel;
  PackedCodes codes;
  PackedTernaryFn multiply;
};

// The packed kernels of an ISA for panels of `codes` in blocks of `group` (packed_layout.h); null
// where it has none.
const PackedTernaryKernels* avx512_packed_ternary(PackedCodes codes, int group);
const PackedTernaryKernels* avx2_packed_ternary(PackedCodes codes, int group);
const PackedTernaryKernels* avx_vnni_packed_ternary(PackedCodes codes, int group);
// AVX-512 septet panels (avx512/matmul_septets.cpp).
const PackedTernaryKernels* avx512_packed_septets(int group);

// Ternary weights in the file's own layout (generic/): rows [row_begin, row_end).
void generic_ternary_rows(const MatrixView& w, const QuantizedActivations& x, int64_t row_begin,
                          int64_t row_end, float* y);

// Float-weight kernels (f32, f16, bf16, q8_0): each row is widened to f32 once and dotted with
// every token. rows [row_begin, row_end); `scratch` holds w.cols floats.
using FloatRowsFn = void (*)(const MatrixView& w, const float* x, int64_t n_tokens,
                             int64_t row_begin, int64_t row_end, float* scratch, float* y);
FloatRowsFn generic_float_rows();
FloatRowsFn avx2_float_rows();
FloatRowsFn avx512_float_rows();

}  // namespace trit::kernels
