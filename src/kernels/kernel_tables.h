// The per-ISA kernel entry points. matmul.cpp picks one set per matrix at prepare() time from the
// ISA and the weight format; the kernel bodies never test the ISA themselves.
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
  PackedTernaryFn multiply;
};

// Null where the ISA has no packed kernel for the format.
const PackedTernaryKernels* avx512_ternary_kernels(formats::Format format);
const PackedTernaryKernels* avx2_ternary_kernels(formats::Format format);

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
