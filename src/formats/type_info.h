// The weight-type registry: one TypeInfo per storage layout trit knows, with the traits kernels and
// tools need (family, group, where the scale sits, how to turn a block into codes). A new weight type
// adds a layout header and source, its kernels and one line in registry.cpp; the lists users see
// (quantize and mkmodel types, error messages) are derived from the table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trit::formats {

// Layouts some code refers to by name (the float widening, Q2_0's group detection, the tools' exact
// float twins). Every other type is `unnamed`: its Family and traits say all there is to know, so
// adding a type needs no new value here.
enum class Format { f32, f16, bf16, q8_0, q4_0, q1_0, q2_0_g128, q2_0_g64, unnamed };

// How the kernels compute with a type.
//   floating: rows are widened to f32 (f32, f16, bf16, q8_0, q4_0).
//   ternary:  each block is an f16 scale d and `block_size` codes c in 0..3 meaning (c - 1) * d
//             (Q2_0's 2-bit fields, PTQ1_0's base-3 digits).
//   sign:     each block is an f16 scale d and one bit per weight meaning -d or +d (Q1_0); kernels
//             see the codes 0 and 2 so both families share the ternary offset arithmetic.
//   other:    known by size only.
enum class Family { floating, ternary, sign, other };

// How a ternary or sign block stores its codes, so a repacking kernel can take a fast path for the
// layouts it knows and decode any other one through TypeInfo::decode_codes.
//   fields2: element j at bits 2*(j%4) of payload byte j/4 (Q2_0);
//   fields1: element j at bit j%8 of payload byte j/8 (Q1_0);
//   encoded: only decode_codes knows (PTQ1_0's base-3 digits).
enum class CodeLayout { none, fields2, fields1, encoded };

using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);
// One block -> its block_size codes (ternary 0..3; sign 0 or 2), and back (the scale is read and
// written at scale_offset by the caller).
using DecodeCodesFn = void (*)(const uint8_t* block, uint8_t* codes);
using EncodeCodesFn = void (*)(const uint8_t* codes, uint8_t* block);

// TypeInfo::file_type of types trit never writes a whole file of.
inline constexpr uint32_t kNoFileType = UINT32_MAX;

struct TypeInfo {
  Format format;
  uint32_t ggml_id;        // type id written in GGUF (42 holds two layouts: group 128 or 64)
  const char* name;        // as users write it: "q2_0", "q2_0_g64", "f16", ...
  int64_t block_size;      // elements per block (the scale group of the coded families)
  int64_t block_bytes;     // bytes per block
  DequantizeRowFn dequantize_row;  // null for `other`
  QuantizeRowFn quantize_row;      // null where trit cannot quantize to this type
  // general.file_type (llama_ftype, "mostly this type") of a file whose matrices have this type,
  // numbered as llama.cpp and the PrismML fork do; kNoFileType where trit never writes such a file.
  uint32_t file_type = kNoFileType;
  Family family = Family::other;
  // Ternary and sign families only.
  CodeLayout code_layout = CodeLayout::none;
  int scale_offset = 0;            // byte of the block's f16 scale
  int payload_offset = 0;          // first byte of the codes
  DecodeCodesFn decode_codes = nullptr;
  EncodeCodesFn encode_codes = nullptr;

  // Bytes of n elements; n must be a multiple of block_size.
  uint64_t bytes_for(uint64_t n) const { return n / block_size * block_bytes; }
  double bits_per_weight() const { return 8.0 * block_bytes / block_size; }
  bool computable() const { return family != Family::other && dequantize_row != nullptr; }
  bool coded() const { return family == Family::ternary || family == Family::sign; }
  // Bytes a tensor's data must be aligned to: its widest scalar read in place (f32 elements; the
  // f16 scale or elements of every other computable type). A GGUF with general.alignment 1 can
  // place data anywhere, and reading it through typed pointers would be undefined.
  int data_alignment() const { return format == Format::f32 ? 4 : (family == Family::other ? 1 : 2); }
};

// The type of a GGUF tensor with this id. For id 42 this is the group-128 layout; the file's
// actual layout is detected from tensor extents by the GGUF reader (q2_0_g64_type()).
const TypeInfo* type_by_ggml_id(uint32_t id);
const TypeInfo* type_by_format(Format format);
// Accepts the user-facing names ("q2_0", "Q2_0_g64", "f16", ...), case-insensitive.
const TypeInfo* type_by_name(const std::string& name);
const std::vector<const TypeInfo*>& all_types();

// Derived lists, in table order, for flags, help texts and error messages.
// Types trit can compute with.
std::vector<std::string> computable_type_names();
// Types `trit quantize` can write (a quantizer and a file type).
std::vector<std::string> quantize_type_names();
// Types `trit mkmodel` can draw weights in: the coded families and the exact float types.
std::vector<std::string> synthetic_type_names();
// "a, b, c" of a list.
std::string join_names(const std::vector<std::string>& names);

}  // namespace trit::formats
