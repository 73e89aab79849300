// Placeholder until the AVX2 packed kernels land: the AVX2 ISA then uses the generic kernels.
#include "kernels/kernel_tables.h"
namespace trit::kernels {
const PackedTernaryKernels* avx2_ternary_kernels(formats::Format) { return nullptr; }
}  // namespace trit::kernels
