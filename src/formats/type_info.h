// The weight-type registry: one TypeInfo per storage layout trit knows. A new weight type adds a
// layout header, its kernels and one line in registry.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trit::formats {

// Layouts trit computes with. `other` marks types whose sizes are known (so a file holding them
// can be read and described) but which trit cannot compute with.
enum class Format { f32, f16, bf16, q8_0, q1_0, q2_0_g128, q2_0_g64, other };

using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);

// TypeInfo::file_type of types trit never writes a whole file of.
inline constexpr uint32_t kNoFileType = UINT32_MAX;

struct TypeInfo {
  Format format;
  uint32_t ggml_id;        // type id written in GGUF (42 holds two layouts, see FORMATS.md)
  const char* name;        // as users write it: "q2_0", "q2_0_g64", "f16", ...
  int64_t block_size;      // elements per block
  int64_t block_bytes;     // bytes per block
  DequantizeRowFn dequantize_row;  // null for `other`
  QuantizeRowFn quantize_row;      // null where trit cannot quantize to this type
  // general.file_type (llama_ftype, "mostly this type") of a file whose matrices have this type,
  // numbered as llama.cpp and the PrismML fork do; kNoFileType where trit never writes such a file.
  uint32_t file_type = kNoFileType;

  // Bytes of n elements; n must be a multiple of block_size.
  uint64_t bytes_for(uint64_t n) const { return n / block_size * block_bytes; }
  double bits_per_weight() const { return 8.0 * block_bytes / block_size; }
};

// The type of a GGUF tensor with this id. For id 42 this is the group-128 layout; the file's
// actual layout is detected from tensor extents by the GGUF reader (q2_0_g64_type()).
const TypeInfo* type_by_ggml_id(uint32_t id);
const TypeInfo* type_by_format(Format format);
// Accepts the user-facing names ("q2_0", "Q2_0_g64", "f16", ...), case-insensitive.
const TypeInfo* type_by_name(const std::string& name);
const std::vector<const TypeInfo*>& all_types();

}  // namespace trit::formats
