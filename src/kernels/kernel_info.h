// What the kernels do with a weight type on an ISA, for tests and tools.
#pragma once
#include "formats/type_info.h"
#include "kernels/isa.h"

namespace trit::kernels {

// True when prepare_matrix() copies the weights into a layout of its own at load (the source
// pages are then released, so memory use stays about the file size).
bool repacks_weights(const formats::TypeInfo& type, Isa isa);

}  // namespace trit::kernels
