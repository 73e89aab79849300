// SHA-256 of files and byte strings (OpenSSL libcrypto, EVP interface), as lowercase hex: the
// form the hub reports for LFS files in X-Linked-Etag.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>

namespace trit::hub {

std::string sha256_hex(const void* data, size_t size);
// Reads the whole file in chunks; throws trit::Error naming the path when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

// True for exactly 64 hex digits (any case): an ETag that is a SHA-256 rather than a git blob id.
bool is_sha256_hex(const std::string& text);

}  // namespace trit::hub
