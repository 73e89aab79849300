#include "hub/sha256.h"

#include <openssl/evp.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "util/error.h"

namespace trit::hub {

namespace {

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestContext() {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      fail("cannot start a SHA-256 digest (OpenSSL)");
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
  void add(const void* data, size_t size) {
    if (EVP_DigestUpdate(ctx, data, size) != 1) fail("SHA-256 update failed (OpenSSL)");
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &length) != 1) fail("SHA-256 final failed (OpenSSL)");
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out += digits[digest[i] >> 4];
      out += digits[digest[i] & 15];
    }
    return out;
  }
};

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  DigestContext digest;
  digest.add(data, size);
  return digest.hex();
}

std::string sha256_file_hex(const std::filesystem::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("cannot open ", path.string(), " to check its SHA-256: ", std::strerror(errno));
  DigestContext digest;
  std::vector<unsigned char> buffer(1 << 20);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) digest.add(buffer.data(), n);
  if (std::ferror(file.get())) fail("cannot read ", path.string(), " to check its SHA-256");
  return digest.hex();
}

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (unsigned char c : text)
    if (!std::isxdigit(c)) return false;
  return true;
}

}  // namespace trit::hub
