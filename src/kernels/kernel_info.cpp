#include "kernels/kernel_info.h"

#include "kernels/kernel_tables.h"

namespace trit::kernels {

bool repacks_weights(formats::Format format, Isa isa) {
  if (isa == Isa::avx512) return avx512_ternary_kernels(format) != nullptr;
  if (isa == Isa::avx2) return avx2_ternary_kernels(format) != nullptr;
  return false;
}

std::string kernel_description(formats::Format format, Isa isa) {
  const bool ternary = format == formats::Format::q2_0_g128 || format == formats::Format::q2_0_g64 ||
                       format == formats::Format::q1_0;
  if (!ternary) return std::string(isa_name(isa)) + " f32 dot (rows widened to f32)";
  if (isa == Isa::avx512) return "avx512 vnni int8 (vpdpbusd), repacked into 16-row panels at load";
  if (isa == Isa::avx2) return "avx2 int8 (vpmaddubsw), repacked into 8-row panels at load";
  return "generic int8, file layout";
}

}  // namespace trit::kernels
