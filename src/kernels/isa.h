// The instruction set the kernels use, chosen once at start-up from CPUID. TRIT_ISA=generic|avx2|
// avxvnni|avx512 forces another one the CPU has (asking for one it lacks is an error).
//
// The sets are not nested: a Zen 4 has AVX-512 VNNI but not the VEX-encoded AVX-VNNI, an Alder Lake
// laptop the reverse. So each is tested on its own (cpu_supports), and the order below is only the
// preference among those the CPU has.
#pragma once
#include <string>
#include <vector>

namespace trit::kernels {

enum class Isa { generic = 0, avx2 = 1, avx_vnni = 2, avx512 = 3 };

// Whether this CPU (and the OS's saved register state) can run the ISA's kernels: avx2 means
// AVX2+FMA+F16C; avx_vnni adds the 256-bit vpdpbusd (CPUID 7.1 EAX bit 4); avx512 means
// F+BW+VL+VNNI+VBMI.
bool cpu_supports(Isa isa);
// The preferred ISA this CPU supports.
Isa detect_cpu_isa();
// The ISA in use: detect_cpu_isa(), or TRIT_ISA's choice; computed once.
Isa active_isa();
// Every ISA this CPU can run, in order of preference, lowest first (tests run each kernel on each).
std::vector<Isa> supported_isas();
const char* isa_name(Isa isa);
// The CPU as it reports itself (CPUID brand string, family and model), for benchmark reports.
std::string cpu_model();

}  // namespace trit::kernels
