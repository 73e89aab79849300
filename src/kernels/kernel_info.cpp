#include "kernels/kernel_info.h"

#include "kernels/kernel_set.h"
#include "kernels/packed_layout.h"

namespace trit::kernels {

bool repacks_weights(const formats::TypeInfo& type, Isa isa) {
  return type.coded() && packed_kernels_of(kernel_set(isa), type) != nullptr;
}

}  // namespace trit::kernels
