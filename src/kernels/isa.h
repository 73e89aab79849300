// The instruction set the kernels use, chosen once at start-up from CPUID. TRIT_ISA=generic|avx2|
// avx512 forces a lower one (asking for one the CPU lacks is an error).
#pragma once
#include <string>
#include <vector>

namespace trit::kernels {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

// What the CPU supports (avx512 means F+BW+VL+VNNI+VBMI here).
Isa detect_cpu_isa();
// The ISA in use: detect_cpu_isa() lowered by TRIT_ISA; computed once.
Isa active_isa();
// Every ISA this CPU can run, lowest first (tests run each kernel on each of them).
std::vector<Isa> supported_isas();
const char* isa_name(Isa isa);

}  // namespace trit::kernels
