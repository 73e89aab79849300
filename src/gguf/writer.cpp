#include "gguf/writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/atomic_file.h"
#include "util/error.h"

namespace trit::gguf {
namespace {

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// Serialises values into a byte buffer (the header is small; the tensor data is streamed).
struct Encoder {
  std::vector<uint8_t> bytes;
  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void put_value(const Value& v) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) put_string(x);
          else if constexpr (std::is_same_v<T, bool>) put<uint8_t>(x ? 1 : 0);
          else if constexpr (std::is_same_v<T, std::shared_ptr<Array>>) {
            put<uint32_t>(static_cast<uint32_t>(x->element_type));
            put<uint64_t>(x->items.size());
            for (const Value& item : x->items) {
              if (item.type() != x->element_type)
                fail("GGUF writer: array element of type ", describe_type(item), " in an array of ",
                     value_type_name(x->element_type));
              put_value(item);
            }
          } else put<T>(x);
        },
        v.data);
  }
};

}  // namespace

Writer::Writer(const std::string& path, bool overwrite, uint32_t alignment)
    : path_(path), overwrite_(overwrite), alignment_(alignment) {
  if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0) fail("GGUF writer: alignment must be a power of two");
  refuse_non_regular_destination(path);
  std::error_code ec;
  if (!overwrite_ && std::filesystem::exists(path, ec))
    fail(path, ": already exists (refusing to overwrite it)");
  file_ = std::make_unique<AtomicFile>(path);
  if (alignment_ != 32) set("general.alignment", Value{alignment_});
}

Writer::~Writer() = default;

void Writer::set(const std::string& key, Value value) {
  if (data_started_) fail("GGUF writer: metadata set after the data started");
  for (auto& [k, v] : metadata_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  metadata_.emplace_back(key, std::move(value));
}

void Writer::add_tensor(TensorSpec spec) {
  if (data_started_) fail("GGUF writer: tensor added after the data started");
  tensors_.push_back(std::move(spec));
}

void Writer::write_raw(const void* bytes, size_t size) {
  if (size && std::fwrite(bytes, 1, size, file_->stream()) != size)
    fail(path_, ": write failed: ", std::strerror(errno), " (disk full?)");
  position_ += size;
}

void Writer::pad_to_alignment() {
  static const uint8_t zeros[256] = {};
  uint64_t target = align_up(position_, alignment_);
  while (position_ < target) write_raw(zeros, std::min<uint64_t>(sizeof zeros, target - position_));
}

void Writer::begin_data() {
  Encoder e;
  e.bytes.insert(e.bytes.end(), {'G', 'G', 'U', 'F'});
  e.put<uint32_t>(3);
  e.put<uint64_t>(tensors_.size());
  e.put<uint64_t>(metadata_.size());
  for (const auto& [key, value] : metadata_) {
    e.put_string(key);
    e.put<uint32_t>(static_cast<uint32_t>(value.type()));
    e.put_value(value);
  }
  uint64_t offset = 0;
  for (const TensorSpec& t : tensors_) {
    e.put_string(t.name);
    e.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) e.put<uint64_t>(d);
    e.put<uint32_t>(t.ggml_type);
    e.put<uint64_t>(offset);
    offset = align_up(offset + t.size, alignment_);
  }
  write_raw(e.bytes.data(), e.bytes.size());
  pad_to_alignment();
  data_started_ = true;
  current_tensor_ = 0;
  current_written_ = 0;
}

void Writer::write(const void* bytes, size_t size) {
  if (!data_started_) fail("GGUF writer: tensor data written before begin_data()");
  const auto* p = static_cast<const uint8_t*>(bytes);
  while (size > 0) {
    if (current_tensor_ >= tensors_.size()) fail("GGUF writer: more tensor data than declared");
    uint64_t left = tensors_[current_tensor_].size - current_written_;
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, size));
    write_raw(p, n);
    p += n;
    size -= n;
    current_written_ += n;
    if (current_written_ == tensors_[current_tensor_].size) {
      ++current_tensor_;
      current_written_ = 0;
      if (current_tensor_ < tensors_.size()) pad_to_alignment();
    }
  }
}

void Writer::finish() {
  if (!data_started_) begin_data();
  // Zero-sized tensors complete without a write.
  while (current_tensor_ < tensors_.size() && tensors_[current_tensor_].size == 0) ++current_tensor_;
  if (current_tensor_ != tensors_.size())
    fail("GGUF writer: tensor '", tensors_[current_tensor_].name, "' was not written in full");
  file_->close();
  if (!overwrite_ && std::filesystem::exists(path_))
    fail(path_, ": appeared while writing (refusing to overwrite it)");
  file_->rename_into_place();
}

}  // namespace trit::gguf
