// The rule active_isa() applies to TRIT_ISA, exposed so tests can check it without re-running
// the process: an empty or missing value keeps the preferred ISA (supported.back()); the name of
// one in `supported` picks it; any other name throws trit::Error naming what the CPU has.
#pragma once
#include <span>

#include "kernels/isa.h"

namespace trit::kernels {

Isa isa_from_override(const char* value, std::span<const Isa> supported);

}  // namespace trit::kernels
