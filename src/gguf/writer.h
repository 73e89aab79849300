// GGUF writer: metadata and the tensor table first, then tensor data streamed one tensor at a
// time (memory bounded by one tensor), every tensor aligned. Atomic (util/atomic_file.h): data
// goes to a temporary file in the destination's folder, which is fsynced and renamed over the
// destination only by finish(); a writer destroyed before finish() (an error, an exception, a
// SIGINT/SIGTERM) removes the temporary file and leaves the destination untouched. A destination
// that is not a regular file (a device node, even with overwrite) is refused.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gguf/value.h"
#include "util/atomic_file.h"

namespace trit::gguf {

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;  // dims[0] = row length
  uint32_t ggml_type = 0;
  uint64_t size = 0;           // bytes of data
};

class Writer {
 public:
  // Refuses an existing destination unless overwrite is true.
  Writer(const std::string& path, bool overwrite, uint32_t alignment = 32);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void set(const std::string& key, Value value);  // replaces a key already set
  void add_tensor(TensorSpec spec);

  // After all metadata and tensors are declared: writes the header. Then write each tensor's
  // data in declaration order, in one or more pieces that add up to its size.
  void begin_data();
  void write(const void* bytes, size_t size);
  // Checks every tensor was written in full, fsyncs, renames into place.
  void finish();

  const std::string& path() const { return path_; }

 private:
  void write_raw(const void* bytes, size_t size);
  void pad_to_alignment();

  std::string path_;
  bool overwrite_;
  uint32_t alignment_;
  std::unique_ptr<AtomicFile> file_;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<TensorSpec> tensors_;
  bool data_started_ = false;
  size_t current_tensor_ = 0;
  uint64_t current_written_ = 0;
  uint64_t position_ = 0;
};

}  // namespace trit::gguf
