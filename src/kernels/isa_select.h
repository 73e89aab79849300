// The rule active_isa() applies to TRIT_ISA, exposed so tests can check it without re-running
// the process: an empty or missing value keeps the CPU's ISA; a known name lower than or equal to
// the CPU's is used; a higher one or an unknown name throws trit::Error.
#pragma once
#include "kernels/isa.h"

namespace trit::kernels {

Isa isa_from_override(const char* value, Isa cpu);

}  // namespace trit::kernels
