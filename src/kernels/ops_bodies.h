// Per-ISA bodies of the element-wise steps in ops.h. ops.cpp picks one set once by active_isa();
// the bodies never test the ISA themselves.
#pragma once
#include <cstdint>

namespace trit::kernels {

struct OpsBodies {
  void (*rms_norm)(const float* x, const float* weight, int64_t n, float eps, float* out);
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
  void (*add_in_place)(float* x, const float* y, int64_t n);
  void (*narrow_to_f16)(const float* x, int64_t n, uint16_t* out);
  void (*hadamard_blocks)(float* x, int64_t n, int64_t block, const float* signs);
};

// The portable hadamard_blocks (ops.h); the vector bodies fall back to it for blocks narrower than
// their registers.
void hadamard_blocks_generic(float* x, int64_t n, int64_t block, const float* signs);

const OpsBodies& generic_ops();
const OpsBodies& avx2_ops();
const OpsBodies& avx512_ops();

}  // namespace trit::kernels
