// Bounds-checked little-endian reading from a byte range. Every read checks the remaining length
// first; errors name the source and the byte offset.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "util/error.h"

namespace trit::gguf {

class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, std::string label) : data_(data), size_(size), label_(std::move(label)) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <class... Parts>
  [[noreturn]] void fail_at(const Parts&... parts) const {
    fail(label_, ": ", parts..., " (at byte ", pos_, ")");
  }

  void need(uint64_t n, const char* what) const {
    if (n > remaining()) fail(label_, ": file ends inside ", what, " at byte ", pos_, " (truncated?)");
  }
  void skip(uint64_t n) {
    need(n, "the header");
    pos_ += n;
  }

  template <class T>
  T get() {
    need(sizeof(T), "a value");
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));  // the host is little-endian, as GGUF is
    pos_ += sizeof(T);
    return v;
  }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }

  std::string string(const std::string& what) {
    uint64_t length = u64();
    if (length > remaining())
      fail_at(what, " claims ", length, " bytes but only ", remaining(), " remain");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return s;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string label_;
};

}  // namespace trit::gguf
