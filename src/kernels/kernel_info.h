// One line describing which kernels a weight format gets on an ISA, for `trit info` and the
// engine's start-up log (e.g. "avx512 vnni int8, repacked into 16-row panels at load").
#pragma once
#include <string>

#include "formats/type_info.h"
#include "kernels/isa.h"

namespace trit::kernels {

// True when prepare_matrix() copies the weights into a layout of its own at load (the source
// pages are then released, so memory use stays about the file size).
bool repacks_weights(formats::Format format, Isa isa);
std::string kernel_description(formats::Format format, Isa isa);

}  // namespace trit::kernels
