#include "kernels/kernel_info.h"

#include "kernels/kernel_set.h"
#include "kernels/packed_layout.h"

namespace trit::kernels {

bool repacks_weights(const formats::TypeInfo& type, Isa isa) {
  return type.coded() &&
         kernel_set(isa).packed_ternary(packed_code_bits(type), static_cast<int>(type.block_size)) != nullptr;
}

}  // namespace trit::kernels
