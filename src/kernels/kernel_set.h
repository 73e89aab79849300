// One kernel set per ISA: every entry point through which the engine reaches ISA-specific code
// (weight matmuls, activation quantization, attention, the Gated DeltaNet recurrence, element-wise
// ops), filled in once per ISA in kernel_sets.cpp. The set in use is picked once at start-up from
// CPUID and TRIT_ISA (active_kernel_set()); callers never test the ISA themselves. A new ISA
// (NEON) adds its folder of bodies and one set; a set may reuse another's bodies (AVX-VNNI: AVX2's).
#pragma once
#include "kernels/activations.h"
#include "kernels/attention_heads.h"
#include "kernels/delta_net.h"
#include "kernels/isa.h"
#include "kernels/kernel_tables.h"
#include "kernels/kv_rows.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {

struct KernelSet {
  Isa isa;
  const char* description;          // for `trit info` and the start-up log
  FloatRowsFn float_rows;           // f32 / f16 / bf16 / q8_0 weights
  QuantizeTokensFn quantize_tokens; // int8 activations for the coded weight kernels
  // Packed kernels for panels of `codes` in blocks of `group`; null where the set has none (then a
  // type takes its next layout of packed_codes_for(), or the portable kernel on the file's own).
  const PackedTernaryKernels* (*packed_ternary)(PackedCodes codes, int group);
  AttendSegmentFn attend_segment;   // head_dim 16..256 in powers of two; others use attend_segment_generic
  StoreKvRowFn store_kv_row;        // KV cache rows written (quantized)
  DeltaNetFn delta_net;             // head_dim a multiple of 8; others use delta_net_generic
  OpsBodies ops;
};

// The set for an ISA (this CPU need not support it: callers check, see prepare_matrix()).
const KernelSet& kernel_set(Isa isa);
// kernel_set(active_isa()), computed once.
const KernelSet& active_kernel_set();
// The set's packed kernels for a coded type: the first of its packed_codes_for() layouts the set
// has kernels for at its group; null if none.
const PackedTernaryKernels* packed_kernels_of(const KernelSet& set, const formats::TypeInfo& type);

}  // namespace trit::kernels
