// Hand-built GGUF byte images for reader tests: every field is written explicitly, so a test can
// make exactly the malformed file it needs (wrong counts, lengths, offsets, types).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace trit::test {

struct RawGguf {
  std::string bytes;

  template <class T>
  RawGguf& put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes.append(b, sizeof(T));
    return *this;
  }
  RawGguf& u32(uint32_t v) { return put(v); }
  RawGguf& u64(uint64_t v) { return put(v); }
  RawGguf& str(const std::string& s) {
    u64(s.size());
    bytes += s;
    return *this;
  }
  RawGguf& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    bytes += "GGUF";
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  RawGguf& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  RawGguf& kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }
  RawGguf& tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }
  RawGguf& align(size_t a = 32) {
    while (bytes.size() % a) bytes += '\0';
    return *this;
  }
  RawGguf& zeros(size_t n) {
    bytes.append(n, '\0');
    return *this;
  }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(bytes.data()); }
  size_t size() const { return bytes.size(); }
};

}  // namespace trit::test
