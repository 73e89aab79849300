#include "formats/float_rows.h"

#include <cstring>

#include "formats/fp16.h"

namespace trit::formats {

void quantize_row_f32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, n * 4); }
void dequantize_row_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, n * 4); }

void quantize_row_f16(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_fp16(src[i]);
}
void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(in[i]);
}
void quantize_row_bf16(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
}
void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(in[i]);
}

}  // namespace trit::formats
