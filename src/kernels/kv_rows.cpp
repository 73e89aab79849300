#include "kernels/kv_rows.h"

#include <algorithm>
#include <cctype>

#include "formats/type_info.h"
#include "kernels/kernel_set.h"

namespace trit::kernels {
namespace {

constexpr KvType kAllTypes[] = {KvType::f16, KvType::f32, KvType::q8_0, KvType::q4_0};

formats::Format format_of(KvType type) {
  switch (type) {
    case KvType::f32: return formats::Format::f32;
    case KvType::q8_0: return formats::Format::q8_0;
    case KvType::q4_0: return formats::Format::q4_0;
    case KvType::f16: break;
  }
  return formats::Format::f16;
}

}  // namespace

const formats::TypeInfo& kv_type_info(KvType type) { return *formats::type_by_format(format_of(type)); }

const char* kv_type_name(KvType type) { return kv_type_info(type).name; }

std::optional<KvType> kv_type_by_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (KvType type : kAllTypes)
    if (lower == kv_type_name(type)) return type;
  return std::nullopt;
}

std::string kv_types_name(KvTypes types) {
  if (types.k == types.v) return kv_type_name(types.k);
  return std::string("K ") + kv_type_name(types.k) + ", V " + kv_type_name(types.v);
}

std::string kv_type_names() {
  std::string names;
  for (KvType type : kAllTypes) names += (names.empty() ? "" : ", ") + std::string(kv_type_name(type));
  return names;
}

bool kv_type_fits(KvType type, int64_t head_dim) { return head_dim > 0 && head_dim % kv_type_info(type).block_size == 0; }

std::vector<const uint8_t*> contiguous_kv_pages(const uint8_t* base, int64_t positions, int64_t row_bytes) {
  std::vector<const uint8_t*> pages;
  for (int64_t p = 0; p < positions; p += kKvPagePositions) pages.push_back(base + p * row_bytes);
  return pages;
}

int64_t kv_row_bytes(KvType type, int64_t head_dim) {
  return static_cast<int64_t>(kv_type_info(type).bytes_for(static_cast<uint64_t>(head_dim)));
}

void store_kv_row_generic(KvType type, const float* x, int64_t n, uint8_t* row) {
  kv_type_info(type).quantize_row(x, row, n);
}

void widen_kv_rows_generic(KvType type, const uint8_t* first, int64_t row_bytes, int64_t count, int64_t head_dim,
                           float* out) {
  const formats::TypeInfo& info = kv_type_info(type);
  for (int64_t r = 0; r < count; ++r) info.dequantize_row(first + r * row_bytes, out + r * head_dim, head_dim);
}

void store_kv_row(KvType type, const float* x, int64_t n, uint8_t* row) {
  static const StoreKvRowFn body = active_kernel_set().store_kv_row;
  body(type, x, n, row);
}

}  // namespace trit::kernels
