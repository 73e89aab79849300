// GGUF reader: maps a file read-only and validates header, metadata and the whole tensor table
// before anything uses them. Any byte string yields either a valid File or one trit::Error that
// names the problem; nothing is read outside the mapping.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/type_info.h"
#include "gguf/value.h"

namespace trit::gguf {

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims;        // dims[0] is the contiguous row length (input features)
  uint32_t ggml_type = 0;            // id as written in the file
  const formats::TypeInfo* type = nullptr;  // resolved layout (id 42: group detected per file)
  uint64_t offset = 0;               // relative to the data section
  uint64_t size = 0;                 // bytes of data
  const uint8_t* data = nullptr;     // inside the mapping

  uint64_t element_count() const;
  uint64_t rows() const { return element_count() / dims[0]; }  // product of dims[1..]
  size_t row_bytes() const { return type->bytes_for(dims[0]); }
  std::string shape_string() const;  // "[2560, 151936]"
};

class File {
 public:
  // Opens and validates; throws trit::Error naming the path and the problem.
  static File open(const std::string& path);
  // Validates an in-memory image (the fuzz target and tests use this). `bytes` must outlive File.
  static File parse(const uint8_t* bytes, size_t size, const std::string& label = "<memory>");

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  // Metadata, in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }

  // Typed accessors: a missing key or a value of another type is an Error naming the key,
  // the expected type and the type found.
  const Value& get(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  uint64_t get_uint(const std::string& key) const;  // any non-negative integer type
  int64_t get_int(const std::string& key) const;     // any integer type
  double get_float(const std::string& key) const;   // f32 or f64 (integers accepted)
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;
  std::vector<float> get_float_array(const std::string& key) const;
  // The same with a default for an absent key (a present key of the wrong type still throws).
  std::string get_string_or(const std::string& key, const std::string& fallback) const;
  uint64_t get_uint_or(const std::string& key, uint64_t fallback) const;
  double get_float_or(const std::string& key, double fallback) const;
  bool get_bool_or(const std::string& key, bool fallback) const;

  // Tensors, in table order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(const std::string& name) const;
  // The Q2_0 layout detected for id-42 tensors, if the file has any.
  std::optional<formats::Format> q2_0_layout() const { return q2_0_layout_; }

 private:
  File() = default;
  void parse_all(const std::string& label);
  void detect_q2_0_layout(const std::vector<uint64_t>& extent, const std::string& label);

  std::string path_;
  void* mapping_ = nullptr;  // owned mmap, null for parse()
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::map<std::string, size_t> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
  std::optional<formats::Format> q2_0_layout_;
};

}  // namespace trit::gguf
