// CPU feature detection and the TRIT_ISA override rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "kernels/isa_select.h"
#include "kernels/kernel_set.h"
#include "util/error.h"

namespace trit::kernels {
namespace {

TEST(Isa, SupportedListRunsFromGenericToThePreferredOne) {
  auto list = supported_isas();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front(), Isa::generic);
  EXPECT_EQ(list.back(), detect_cpu_isa());
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx_vnni, Isa::avx512})
    EXPECT_EQ(cpu_supports(isa), std::find(list.begin(), list.end(), isa) != list.end()) << isa_name(isa);
  EXPECT_TRUE(cpu_supports(active_isa()));
  // Both VNNI sets build on AVX2.
  if (cpu_supports(Isa::avx_vnni) || cpu_supports(Isa::avx512)) {
    EXPECT_TRUE(cpu_supports(Isa::avx2));
  }
}

TEST(Isa, Names) {
  EXPECT_STREQ(isa_name(Isa::generic), "generic");
  EXPECT_STREQ(isa_name(Isa::avx2), "avx2");
  EXPECT_STREQ(isa_name(Isa::avx_vnni), "avxvnni");
  EXPECT_STREQ(isa_name(Isa::avx512), "avx512");
}

// The CPUs people have: a Sapphire Rapids or Zen 5 (all four), a Zen 4 (AVX-512 VNNI but no
// VEX AVX-VNNI), an Alder Lake laptop (AVX-VNNI, no AVX-512), a Zen 2 (AVX2 only), none.
const std::vector<Isa> kAll{Isa::generic, Isa::avx2, Isa::avx_vnni, Isa::avx512};
const std::vector<Isa> kZen4{Isa::generic, Isa::avx2, Isa::avx512};
const std::vector<Isa> kAlderLake{Isa::generic, Isa::avx2, Isa::avx_vnni};
const std::vector<Isa> kZen2{Isa::generic, Isa::avx2};
const std::vector<Isa> kPlain{Isa::generic};

TEST(Isa, OverrideKeepsThePreferredWhenUnset) {
  EXPECT_EQ(isa_from_override(nullptr, kAll), Isa::avx512);
  EXPECT_EQ(isa_from_override("", kZen2), Isa::avx2);
  EXPECT_EQ(isa_from_override(nullptr, kAlderLake), Isa::avx_vnni);
  EXPECT_EQ(isa_from_override(nullptr, kZen4), Isa::avx512);
}

TEST(Isa, OverridePicksAnyIsaTheCpuHas) {
  EXPECT_EQ(isa_from_override("generic", kAll), Isa::generic);
  EXPECT_EQ(isa_from_override("avx2", kAll), Isa::avx2);
  EXPECT_EQ(isa_from_override("avxvnni", kAll), Isa::avx_vnni);
  EXPECT_EQ(isa_from_override("avxvnni", kAlderLake), Isa::avx_vnni);
  EXPECT_EQ(isa_from_override("avx512", kAll), Isa::avx512);
  EXPECT_EQ(isa_from_override("generic", kPlain), Isa::generic);
}

TEST(Isa, OverrideRefusesAnIsaTheCpuLacksOrAnUnknownName) {
  EXPECT_THROW(isa_from_override("avx512", kZen2), Error);
  EXPECT_THROW(isa_from_override("avx512", kAlderLake), Error);
  EXPECT_THROW(isa_from_override("avxvnni", kZen4), Error);
  EXPECT_THROW(isa_from_override("avx2", kPlain), Error);
  EXPECT_THROW(isa_from_override("sse9", kAll), Error);
  try {
    isa_from_override("avxvnni", kZen4);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("TRIT_ISA"), std::string::npos) << what;
    EXPECT_NE(what.find("generic, avx2, avx512"), std::string::npos) << what;  // what the CPU has
  }
  try {
    isa_from_override("neon", kAll);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("generic, avx2, avxvnni, avx512"), std::string::npos) << e.what();
  }
}

TEST(Isa, ActiveIsaFollowsEnvironment) {
  // active_isa() is computed once per process, so compare it with the rule applied to the
  // environment this test process started with.
  EXPECT_EQ(active_isa(), isa_from_override(std::getenv("TRIT_ISA"), supported_isas()));
}

// One kernel set per ISA, every entry filled, and the active one is the active ISA's.
TEST(KernelSet, EverySetIsCompleteAndTheActiveOneMatchesTheIsa) {
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx_vnni, Isa::avx512}) {
    const KernelSet& set = kernel_set(isa);
    EXPECT_EQ(set.isa, isa);
    EXPECT_NE(std::string(set.description).find(isa_name(isa)), std::string::npos) << set.description;
    EXPECT_NE(set.float_rows, nullptr);
    EXPECT_NE(set.quantize_tokens, nullptr);
    EXPECT_NE(set.packed_ternary, nullptr);
    EXPECT_NE(set.attend_segment, nullptr);
    EXPECT_NE(set.ops.rms_norm, nullptr);
    EXPECT_NE(set.ops.silu_mul, nullptr);
    EXPECT_NE(set.ops.add_in_place, nullptr);
    EXPECT_NE(set.ops.narrow_to_f16, nullptr);
  }
  EXPECT_EQ(active_kernel_set().isa, active_isa());
  // The SIMD sets have packed kernels for the registry's groups and none for a group they cannot sum.
  for (Isa isa : {Isa::avx2, Isa::avx_vnni, Isa::avx512}) {
    EXPECT_NE(kernel_set(isa).packed_ternary(PackedCodes::fields2, 128), nullptr);
    EXPECT_NE(kernel_set(isa).packed_ternary(PackedCodes::fields2, 64), nullptr);
    EXPECT_NE(kernel_set(isa).packed_ternary(PackedCodes::fields1, 128), nullptr);
    EXPECT_EQ(kernel_set(isa).packed_ternary(PackedCodes::fields2, 256), nullptr);
  }
  EXPECT_EQ(kernel_set(Isa::generic).packed_ternary(PackedCodes::fields2, 128), nullptr);
  // Septet panels (PTQ1_0): AVX-512 has them (VBMI byte permutes); AVX2 takes PTQ1_0 as 2-bit fields.
  EXPECT_NE(kernel_set(Isa::avx512).packed_ternary(PackedCodes::septets, 128), nullptr);
  EXPECT_EQ(kernel_set(Isa::avx2).packed_ternary(PackedCodes::septets, 128), nullptr);
  EXPECT_EQ(kernel_set(Isa::avx_vnni).packed_ternary(PackedCodes::septets, 128), nullptr);
  // AVX-VNNI has its own dot, every other entry is AVX2's.
  EXPECT_NE(kernel_set(Isa::avx_vnni).packed_ternary(PackedCodes::fields2, 128)->multiply,
            kernel_set(Isa::avx2).packed_ternary(PackedCodes::fields2, 128)->multiply);
  EXPECT_EQ(kernel_set(Isa::avx_vnni).attend_segment, kernel_set(Isa::avx2).attend_segment);
}

TEST(KernelSets, Ptq1_0TakesSeptetPanelsWhereTheSetHasThemElse2BitFields) {
  const formats::TypeInfo& ptq1_0 = *formats::type_by_name("ptq1_0");
  const formats::TypeInfo& q2_0 = *formats::type_by_name("q2_0");
  EXPECT_EQ(packed_kernels_of(kernel_set(Isa::avx512), ptq1_0)->codes, PackedCodes::septets);
  EXPECT_EQ(packed_kernels_of(kernel_set(Isa::avx2), ptq1_0)->codes, PackedCodes::fields2);
  EXPECT_EQ(packed_kernels_of(kernel_set(Isa::avx512), q2_0)->codes, PackedCodes::fields2);
  EXPECT_EQ(packed_kernels_of(kernel_set(Isa::generic), ptq1_0), nullptr);
}

}  // namespace
}  // namespace trit::kernels
