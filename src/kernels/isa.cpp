// CPUID-based ISA detection and the TRIT_ISA override.
//
// avx512 requires F+BW+VL+VNNI+VBMI (the prefill kernels use VNNI's vpdpbusd, and byte-wise
// permutes); avx2 requires AVX2+FMA+F16C. Both also require that the OS saves the wide register
// state (XGETBV), which a hypervisor may withhold even when CPUID lists the instructions.
#include "kernels/isa.h"

#include <cstdlib>
#include <string>

#include "util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TRIT_X86 1
#endif

namespace trit::kernels {
namespace {

#if defined(TRIT_X86)
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa cpuid_isa() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::generic;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), f16c = c & (1u << 29);
  if (!osxsave) return Isa::generic;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  if (__get_cpuid_max(0, nullptr) < 7) return Isa::generic;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  const bool avx512vbmi = c & (1u << 1), avx512vnni = c & (1u << 11);
  if (!(ymm_state && avx2 && fma && f16c)) return Isa::generic;
  if (zmm_state && avx512f && avx512bw && avx512vl && avx512vnni && avx512vbmi) return Isa::avx512;
  return Isa::avx2;
}
#else
Isa cpuid_isa() { return Isa::generic; }
#endif

Isa parse_isa(const std::string& name) {
  if (name == "generic") return Isa::generic;
  if (name == "avx2") return Isa::avx2;
  if (name == "avx512") return Isa::avx512;
  fail("TRIT_ISA='", name, "' is not one of generic, avx2, avx512");
}

}  // namespace

Isa detect_cpu_isa() {
  static const Isa isa = cpuid_isa();
  return isa;
}

// Exposed for tests through the same rule active_isa() applies once.
Isa isa_from_override(const char* value, Isa cpu) {
  if (value == nullptr || *value == '\0') return cpu;
  Isa wanted = parse_isa(value);
  if (static_cast<int>(wanted) > static_cast<int>(cpu))
    fail("TRIT_ISA=", value, " asks for instructions this CPU lacks (it supports up to ",
         isa_name(cpu), ")");
  return wanted;
}

Isa active_isa() {
  static const Isa isa = isa_from_override(std::getenv("TRIT_ISA"), detect_cpu_isa());
  return isa;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> list;
  for (int i = 0; i <= static_cast<int>(detect_cpu_isa()); ++i) list.push_back(static_cast<Isa>(i));
  return list;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic: return "generic";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

}  // namespace trit::kernels
