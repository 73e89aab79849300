// Unquantized rows: F32, F16 (IEEE half) and BF16, converted with round to nearest even.
#pragma once
#include <cstdint>

namespace trit::formats {

void quantize_row_f32(const float* src, void* dst, int64_t n);
void dequantize_row_f32(const void* src, float* dst, int64_t n);
void quantize_row_f16(const float* src, void* dst, int64_t n);
void dequantize_row_f16(const void* src, float* dst, int64_t n);
void quantize_row_bf16(const float* src, void* dst, int64_t n);
void dequantize_row_bf16(const void* src, float* dst, int64_t n);

}  // namespace trit::formats
