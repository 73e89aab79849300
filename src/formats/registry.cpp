// The one table of weight types. Types of Family::other are known by size only, so that
// `trit info` can describe files holding them; trit does not compute with them.
#include <algorithm>
#include <cctype>

#include "formats/float_rows.h"
#include "formats/ptq1_0.h"
#include "formats/q1_0.h"
#include "formats/q2_0.h"
#include "formats/q4_0.h"
#include "formats/q8_0.h"
#include "formats/type_info.h"

namespace trit::formats {
namespace {

// file_type: LLAMA_FTYPE_ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32; the PrismML fork
// adds MOSTLY_Q1_0 40, MOSTLY_Q2_0 41 (moby-tiny-Q2_0 has 41; both Q2_0 layouts) and MOSTLY_PQ2_0 141
// (142 in older PQ2_0 files). Coded types come first: lists derived from the table start with them.
constexpr Family kFloat = Family::floating;

constexpr TypeInfo kTypes[] = {
    // {format, ggml_id, name, block elements, block bytes, dequantize, quantize, file_type, family,
    //  code layout, scale offset, payload offset, decode codes, encode codes}
    {Format::q2_0_g128, 42, "q2_0", 128, 34, dequantize_row_q2_0_g128, quantize_row_q2_0_g128, 41,
     Family::ternary, CodeLayout::fields2, 0, 2, decode_codes_q2_0_g128, encode_codes_q2_0_g128},
    {Format::q2_0_g64, 42, "q2_0_g64", 64, 18, dequantize_row_q2_0_g64, quantize_row_q2_0_g64, 41,
     Family::ternary, CodeLayout::fields2, 0, 2, decode_codes_q2_0_g64, encode_codes_q2_0_g64},
    // PQ2_0: the group-128 layout under its own id.
    {Format::q2_0_g128, 142, "pq2_0", 128, 34, dequantize_row_q2_0_g128, quantize_row_q2_0_g128, 141,
     Family::ternary, CodeLayout::fields2, 0, 2, decode_codes_q2_0_g128, encode_codes_q2_0_g128},
    {Format::unnamed, 143, "ptq1_0", 128, 28, dequantize_row_ptq1_0, quantize_row_ptq1_0, 143, Family::ternary,
     CodeLayout::encoded, 26, 0, decode_codes_ptq1_0, encode_codes_ptq1_0},
    {Format::q1_0, 41, "q1_0", 128, 18, dequantize_row_q1_0, quantize_row_q1_0, 40, Family::sign,
     CodeLayout::fields1, 0, 2, decode_codes_q1_0, encode_codes_q1_0},
    {Format::q8_0, 8, "q8_0", 32, 34, dequantize_row_q8_0, quantize_row_q8_0, 7, kFloat},
    // Q4_0: the 4-bit KV cache type (kernels/kv_rows.h); also readable as weights. trit writes no
    // Q4_0 files, so it has no file type here.
    {Format::q4_0, 2, "q4_0", 32, 18, dequantize_row_q4_0, quantize_row_q4_0, kNoFileType, kFloat},
    {Format::f16, 1, "f16", 1, 2, dequantize_row_f16, quantize_row_f16, 1, kFloat},
    {Format::bf16, 30, "bf16", 1, 2, dequantize_row_bf16, quantize_row_bf16, 32, kFloat},
    {Format::f32, 0, "f32", 1, 4, dequantize_row_f32, quantize_row_f32, 0, kFloat},
    // Known by size only.
    {Format::unnamed, 3, "q4_1", 32, 20, nullptr, nullptr},
    {Format::unnamed, 6, "q5_0", 32, 22, nullptr, nullptr},
    {Format::unnamed, 7, "q5_1", 32, 24, nullptr, nullptr},
    {Format::unnamed, 9, "q8_1", 32, 36, nullptr, nullptr},
    {Format::unnamed, 10, "q2_k", 256, 84, nullptr, nullptr},
    {Format::unnamed, 11, "q3_k", 256, 110, nullptr, nullptr},
    {Format::unnamed, 12, "q4_k", 256, 144, nullptr, nullptr},
    {Format::unnamed, 13, "q5_k", 256, 176, nullptr, nullptr},
    {Format::unnamed, 14, "q6_k", 256, 210, nullptr, nullptr},
    {Format::unnamed, 15, "q8_k", 256, 292, nullptr, nullptr},
    {Format::unnamed, 24, "i8", 1, 1, nullptr, nullptr},
    {Format::unnamed, 25, "i16", 1, 2, nullptr, nullptr},
    {Format::unnamed, 26, "i32", 1, 4, nullptr, nullptr},
    {Format::unnamed, 27, "i64", 1, 8, nullptr, nullptr},
    {Format::unnamed, 28, "f64", 1, 8, nullptr, nullptr},
    {Format::unnamed, 34, "tq1_0", 256, 54, nullptr, nullptr},
    {Format::unnamed, 35, "tq2_0", 256, 66, nullptr, nullptr},
};

// What a coded type's kernels rely on, checked once for the whole table at compile time: a code
// layout, and the scale and the payload inside the block. (That each has its decoder and
// dequantizer is checked by the registry test: sanitizer builds cannot compare function
// addresses in a constant expression.)
constexpr bool coded_traits_hold(const TypeInfo& t) {
  if (t.family != Family::ternary && t.family != Family::sign) return t.code_layout == CodeLayout::none;
  if (t.code_layout == CodeLayout::none) return false;
  if (t.scale_offset < 0 || t.scale_offset + 2 > t.block_bytes) return false;
  if (t.payload_offset < 0 || t.payload_offset >= t.block_bytes) return false;
  const int64_t bits = t.code_layout == CodeLayout::fields2 ? 2 : t.code_layout == CodeLayout::fields1 ? 1 : 0;
  return bits == 0 || t.payload_offset + t.block_size * bits / 8 <= t.block_bytes;
}
constexpr bool all_traits_hold() {
  for (const TypeInfo& t : kTypes)
    if (!coded_traits_hold(t) || t.block_size <= 0 || t.block_bytes <= 0) return false;
  return true;
}
static_assert(all_traits_hold(), "a coded weight type in kTypes lacks a decoder or has its scale or codes outside the block");

}  // namespace

const TypeInfo* type_by_ggml_id(uint32_t id) {
  for (const TypeInfo& t : kTypes)
    if (t.ggml_id == id) return &t;  // the first entry for 42 is group 128
  return nullptr;
}

const TypeInfo* type_by_format(Format format) {
  for (const TypeInfo& t : kTypes)
    if (t.format == format && format != Format::unnamed) return &t;
  return nullptr;
}

const TypeInfo* type_by_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const TypeInfo& t : kTypes)
    if (lower == t.name) return &t;
  return nullptr;
}

const std::vector<const TypeInfo*>& all_types() {
  static const std::vector<const TypeInfo*> list = [] {
    std::vector<const TypeInfo*> v;
    for (const TypeInfo& t : kTypes) v.push_back(&t);
    return v;
  }();
  return list;
}

std::vector<std::string> computable_type_names() {
  std::vector<std::string> names;
  for (const TypeInfo& t : kTypes)
    if (t.computable()) names.push_back(t.name);
  return names;
}

std::vector<std::string> quantize_type_names() {
  std::vector<std::string> names;
  for (const TypeInfo& t : kTypes)
    if (t.computable() && t.quantize_row && t.file_type != kNoFileType) names.push_back(t.name);
  return names;
}

std::vector<std::string> synthetic_type_names() {
  std::vector<std::string> names;
  for (const TypeInfo& t : kTypes)
    if ((t.coded() && t.encode_codes) || t.format == Format::f16 || t.format == Format::bf16 ||
        t.format == Format::f32)
      names.push_back(t.name);
  return names;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace trit::formats
