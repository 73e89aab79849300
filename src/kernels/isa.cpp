// CPUID-based ISA detection and the TRIT_ISA override.
//
// avx512 requires F+BW+VL+VNNI+VBMI (the prefill kernels use VNNI's vpdpbusd, and byte-wise
// permutes); avx2 requires AVX2+FMA+F16C; avx_vnni requires avx2 and AVX-VNNI (CPUID 7.1 EAX bit 4).
// All also require that the OS saves the wide register state (XGETBV), which a hypervisor may
// withhold even when CPUID lists the instructions.
#include "kernels/isa.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/isa_select.h"
#include "util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TRIT_X86 1
#endif

namespace trit::kernels {
namespace {

constexpr Isa kAllIsas[] = {Isa::generic, Isa::avx2, Isa::avx_vnni, Isa::avx512};
// What CPUID and XCR0 allow, one flag per Isa (indexed by its value).
using IsaFlags = std::array<bool, std::size(kAllIsas)>;

#if defined(TRIT_X86)
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

IsaFlags cpuid_flags() {
  IsaFlags has{true, false, false, false};
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return has;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), f16c = c & (1u << 29);
  if (!osxsave) return has;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  if (__get_cpuid_max(0, nullptr) < 7) return has;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned max_subleaf = a;
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  const bool avx512vbmi = c & (1u << 1), avx512vnni = c & (1u << 11);
  bool avx_vnni = false;
  if (max_subleaf >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    avx_vnni = a & (1u << 4);
  }
  has[static_cast<int>(Isa::avx2)] = ymm_state && avx2 && fma && f16c;
  has[static_cast<int>(Isa::avx_vnni)] = has[static_cast<int>(Isa::avx2)] && avx_vnni;
  has[static_cast<int>(Isa::avx512)] = has[static_cast<int>(Isa::avx2)] && zmm_state && avx512f && avx512bw &&
                                       avx512vl && avx512vnni && avx512vbmi;
  return has;
}

std::string cpuid_brand() {
  if (__get_cpuid_max(0x80000000, nullptr) < 0x80000004) return "unknown CPU";
  char brand[49] = {};
  for (unsigned leaf = 0; leaf < 3; ++leaf) {
    unsigned regs[4];
    __cpuid(0x80000002 + leaf, regs[0], regs[1], regs[2], regs[3]);
    std::memcpy(brand + 16 * leaf, regs, sizeof regs);
  }
  // Brand strings are padded with spaces (leading, on some Intel parts).
  std::string name = brand;
  const size_t begin = name.find_first_not_of(' '), end = name.find_last_not_of(' ');
  name = begin == std::string::npos ? "unknown CPU" : name.substr(begin, end - begin + 1);
  // Virtual machines often report a generic brand ("Intel(R) Xeon(R) Processor"): the family and
  // model numbers still tell the microarchitecture.
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    const unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    const unsigned family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    const unsigned model = base_family == 0x6 || base_family == 0xf ? base_model | (((a >> 16) & 0xf) << 4) : base_model;
    name += " (family " + std::to_string(family) + " model " + std::to_string(model) + ")";
  }
  return name;
}
#else
IsaFlags cpuid_flags() { return {true, false, false, false}; }
std::string cpuid_brand() { return "unknown CPU"; }
#endif

std::string names_of(std::span<const Isa> isas) {
  std::string list;
  for (Isa isa : isas) list += std::string(list.empty() ? "" : ", ") + isa_name(isa);
  return list;
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : kAllIsas)
    if (name == isa_name(isa)) return isa;
  fail("TRIT_ISA='", name, "' is not one of ", names_of(kAllIsas));
}

}  // namespace

bool cpu_supports(Isa isa) {
  static const IsaFlags flags = cpuid_flags();
  return flags[static_cast<int>(isa)];
}

Isa detect_cpu_isa() { return supported_isas().back(); }

// Exposed for tests through the same rule active_isa() applies once.
Isa isa_from_override(const char* value, std::span<const Isa> supported) {
  if (value == nullptr || *value == '\0') return supported.back();
  const Isa wanted = parse_isa(value);
  if (std::find(supported.begin(), supported.end(), wanted) == supported.end())
    fail("TRIT_ISA=", value, " asks for instructions this CPU lacks (it has ", names_of(supported), ")");
  return wanted;
}

Isa active_isa() {
  static const Isa isa = isa_from_override(std::getenv("TRIT_ISA"), supported_isas());
  return isa;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> list;
  for (Isa isa : kAllIsas)
    if (cpu_supports(isa)) list.push_back(isa);
  return list;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic: return "generic";
    case Isa::avx2: return "avx2";
    case Isa::avx_vnni: return "avxvnni";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

std::string cpu_model() {
  static const std::string model = cpuid_brand();
  return model;
}

}  // namespace trit::kernels
