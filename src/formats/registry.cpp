// The one table of weight types. Types marked Format::other are known by size only, so that
// `trit info` can describe files holding them; trit does not compute with them.
#include <algorithm>
#include <cctype>

#include "formats/float_rows.h"
#include "formats/q1_0.h"
#include "formats/q2_0.h"
#include "formats/q8_0.h"
#include "formats/type_info.h"

namespace trit::formats {
namespace {

// file_type: LLAMA_FTYPE_ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32; the PrismML fork
// adds MOSTLY_Q1_0 40 and MOSTLY_Q2_0 41 (moby-tiny-Q2_0 has 41), which both Q2_0 layouts and PQ2_0
// share.
const TypeInfo kTypes[] = {
    // {format, ggml_id, name, block elements, block bytes, dequantize, quantize, file_type}
    {Format::f32, 0, "f32", 1, 4, dequantize_row_f32, quantize_row_f32, 0},
    {Format::f16, 1, "f16", 1, 2, dequantize_row_f16, quantize_row_f16, 1},
    {Format::bf16, 30, "bf16", 1, 2, dequantize_row_bf16, quantize_row_bf16, 32},
    {Format::q8_0, 8, "q8_0", 32, 34, dequantize_row_q8_0, quantize_row_q8_0, 7},
    {Format::q1_0, 41, "q1_0", 128, 18, dequantize_row_q1_0, quantize_row_q1_0, 40},
    {Format::q2_0_g128, 42, "q2_0", 128, 34, dequantize_row_q2_0_g128, quantize_row_q2_0_g128, 41},
    {Format::q2_0_g64, 42, "q2_0_g64", 64, 18, dequantize_row_q2_0_g64, quantize_row_q2_0_g64, 41},
    // PQ2_0: the group-128 layout under its own id.
    {Format::q2_0_g128, 142, "pq2_0", 128, 34, dequantize_row_q2_0_g128, quantize_row_q2_0_g128, 41},
    // Known by size only.
    {Format::other, 2, "q4_0", 32, 18, nullptr, nullptr},
    {Format::other, 3, "q4_1", 32, 20, nullptr, nullptr},
    {Format::other, 6, "q5_0", 32, 22, nullptr, nullptr},
    {Format::other, 7, "q5_1", 32, 24, nullptr, nullptr},
    {Format::other, 9, "q8_1", 32, 36, nullptr, nullptr},
    {Format::other, 10, "q2_k", 256, 84, nullptr, nullptr},
    {Format::other, 11, "q3_k", 256, 110, nullptr, nullptr},
    {Format::other, 12, "q4_k", 256, 144, nullptr, nullptr},
    {Format::other, 13, "q5_k", 256, 176, nullptr, nullptr},
    {Format::other, 14, "q6_k", 256, 210, nullptr, nullptr},
    {Format::other, 15, "q8_k", 256, 292, nullptr, nullptr},
    {Format::other, 24, "i8", 1, 1, nullptr, nullptr},
    {Format::other, 25, "i16", 1, 2, nullptr, nullptr},
    {Format::other, 26, "i32", 1, 4, nullptr, nullptr},
    {Format::other, 27, "i64", 1, 8, nullptr, nullptr},
    {Format::other, 28, "f64", 1, 8, nullptr, nullptr},
    {Format::other, 34, "tq1_0", 256, 54, nullptr, nullptr},
    {Format::other, 35, "tq2_0", 256, 66, nullptr, nullptr},
};

}  // namespace

const TypeInfo* type_by_ggml_id(uint32_t id) {
  for (const TypeInfo& t : kTypes)
    if (t.ggml_id == id) return &t;  // the first entry for 42 is group 128
  return nullptr;
}

const TypeInfo* type_by_format(Format format) {
  for (const TypeInfo& t : kTypes)
    if (t.format == format && format != Format::other) return &t;
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

}  // namespace trit::formats
