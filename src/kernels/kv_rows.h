// The KV cache's element types, the layout of one layer's cache as attention reads it, and the
// per-ISA bodies that write a row (quantize at store time) and read rows back as f32.
//
// A row is one kv head's head_dim values at one position. f32 and f16 rows are plain arrays; a
// q8_0 or q4_0 row is head_dim / 32 blocks of that format (formats/q8_0.h, formats/q4_0.h: an f16
// scale and the block's codes), so a quantized cache needs head_dim to be a multiple of 32.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trit::formats {
struct TypeInfo;
}

namespace trit::kernels {

enum class KvType { f16, f32, q8_0, q4_0 };

// K and V may differ (llama.cpp's -ctk / -ctv).
struct KvTypes {
  KvType k = KvType::f16;
  KvType v = KvType::f16;
};

// The weight-type registry's entry for the layout of a KV type's rows.
const formats::TypeInfo& kv_type_info(KvType type);
const char* kv_type_name(KvType type);
// "f16", "f32", "q8_0", "q4_0" (case-insensitive); nullopt for anything else.
std::optional<KvType> kv_type_by_name(const std::string& name);
// "f16" when K and V agree, else "K q8_0, V f16".
std::string kv_types_name(KvTypes types);
// "f16, f32, q8_0, q4_0": for flags and errors.
std::string kv_type_names();
// Bytes of one row of head_dim values; head_dim must be a multiple of kv_type_info(type).block_size.
int64_t kv_row_bytes(KvType type, int64_t head_dim);
bool kv_type_fits(KvType type, int64_t head_dim);

// Positions per page of a KV cache (model/kv_pool.h): a page holds these positions of every
// attention layer and kv head, so a sequence's rows are contiguous within a page only. Attention
// reads the cache in spans of 64 positions, which never cross a page.
constexpr int64_t kKvPagePositions = 64;

// One plane (K or V) of one layer's cache, in pages: the row of kv head g at position p starts at
// pages[p / kKvPagePositions] + offset + g * head_bytes + (p % kKvPagePositions) * row_bytes. A
// page table, so sequences can share pages and grow without moving their rows.
struct KvPlane {
  KvType type = KvType::f16;
  const uint8_t* const* pages = nullptr;  // the sequence's pages in position order
  size_t offset = 0;                      // of this layer's plane in a page
  int64_t row_bytes = 0;
  int64_t head_bytes = 0;

  const uint8_t* row(int64_t kv_head, int64_t pos) const {
    return pages[pos / kKvPagePositions] + offset + kv_head * head_bytes + (pos % kKvPagePositions) * row_bytes;
  }
};

// The page table of one plane stored contiguously ([kv_head][positions][row_bytes] at base, so
// head_bytes = positions * row_bytes): for tests and benchmarks that build a cache by hand.
std::vector<const uint8_t*> contiguous_kv_pages(const uint8_t* base, int64_t positions, int64_t row_bytes);

struct KvLayerView {
  KvPlane k, v;
};

// Writes n values (one row) as `type` at `row`: a body per ISA in the kernel set.
using StoreKvRowFn = void (*)(KvType type, const float* x, int64_t n, uint8_t* row);

// The portable body: the formats' reference quantizers.
void store_kv_row_generic(KvType type, const float* x, int64_t n, uint8_t* row);
// The AVX2 body (also AVX-VNNI's and AVX-512's: the work is a few instructions per value), bit for
// bit the reference's bytes.
void store_kv_row_avx2(KvType type, const float* x, int64_t n, uint8_t* row);

// Widens `count` consecutive rows of one kv head, the first at `first`, `row_bytes` apart, to f32
// rows of head_dim values at out (head_dim apart), by the formats' reference dequantizers: for the
// scalar attention and tests (the wide attention bodies read every type in place).
void widen_kv_rows_generic(KvType type, const uint8_t* first, int64_t row_bytes, int64_t count, int64_t head_dim,
                           float* out);

// The active kernel set's store body.
void store_kv_row(KvType type, const float* x, int64_t n, uint8_t* row);

}  // namespace trit::kernels
