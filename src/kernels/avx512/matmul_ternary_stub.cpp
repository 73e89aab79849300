#include "kernels/kernel_tables.h"
namespace trit::kernels {
const PackedTernaryKernels* avx512_ternary_kernels(formats::Format) { return nullptr; }
const PackedTernaryKernels* avx2_ternary_kernels(formats::Format) { return nullptr; }
}
