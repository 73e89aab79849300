#include "kernels/kernel_set.h"

namespace trit::kernels {
namespace {

const PackedTernaryKernels* no_packed_kernels(PackedCodes, int) { return nullptr; }

}  // namespace

const KernelSet& kernel_set(Isa isa) {
  static const KernelSet generic{Isa::generic,
                                 "generic: int8 dot on the file's block layout, scalar attention",
                                 generic_float_rows(),
                                 quantize_tokens_generic,
                                 no_packed_kernels,
                                 attend_segment_generic,
                                 store_kv_row_generic,
                                 delta_net_generic,
                                 generic_ops()};
  static const KernelSet avx2{Isa::avx2,
                              "avx2: int8 vpmaddubsw on 8-row panels repacked at load, KV rows shared by up to 4 heads in registers",
                              avx2_float_rows(),
                              quantize_tokens_avx2,
                              avx2_packed_ternary,
                              attend_segment_avx2,
                              store_kv_row_avx2,
                              delta_net_avx2,
                              avx2_ops()};
  // AVX-VNNI only changes the int8 dot of the weight kernels; every other entry is AVX2's.
  static const KernelSet avx_vnni{Isa::avx_vnni,
                                  "avxvnni: int8 vpdpbusd (AVX-VNNI, 256-bit) on 8-row panels repacked at load, KV rows shared by up to 4 heads in registers",
                                  avx2_float_rows(),
                                  quantize_tokens_avx2,
                                  avx_vnni_packed_ternary,
                                  attend_segment_avx2,
                                  store_kv_row_avx2,
                                  delta_net_avx2,
                                  avx2_ops()};
  static const KernelSet avx512{Isa::avx512,
                                "avx512: int8 vpdpbusd (VNNI) on 16-row panels repacked at load, KV rows shared by up to 4 heads in registers",
                                avx512_float_rows(),
                                quantize_tokens_avx512,
                                avx512_packed_ternary,
                                attend_segment_avx512,
                                store_kv_row_avx2,
                                delta_net_avx512,
                                avx512_ops()};
  switch (isa) {
    case Isa::avx2: return avx2;
    case Isa::avx_vnni: return avx_vnni;
    case Isa::avx512: return avx512;
    case Isa::generic: break;
  }
  return generic;
}

const PackedTernaryKernels* packed_kernels_of(const KernelSet& set, const formats::TypeInfo& type) {
  const PackedCodesChoice choice = packed_codes_for(type);
  for (int i = 0; i < choice.count; ++i)
    if (const PackedTernaryKernels* k = set.packed_ternary(choice.codes[i], static_cast<int>(type.block_size)))
      return k;
  return nullptr;
}

const KernelSet& active_kernel_set() {
  static const KernelSet& set = kernel_set(active_isa());
  return set;
}

}  // namespace trit::kernels
