#include "tools/quantize_rows.h"

#include <algorithm>
#include <cmath>

namespace trit::tools {

void ConversionError::merge(const ConversionError& o) {
  elements += o.elements;
  mismatches += o.mismatches;
  sum_sq_error += o.sum_sq_error;
  sum_sq_value += o.sum_sq_value;
  max_error_of_scale = std::max(max_error_of_scale, o.max_error_of_scale);
}

void convert_rows(const formats::TypeInfo& from, const formats::TypeInfo& to, const uint8_t* src, uint8_t* dst,
                  int64_t rows, int64_t cols, RowScratch& scratch, ConversionError& error) {
  scratch.source.resize(cols);
  scratch.back.resize(cols);
  const size_t in_row = from.bytes_for(cols), out_row = to.bytes_for(cols);
  const int64_t group = to.block_size;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = scratch.source.data();
    float* y = scratch.back.data();
    from.dequantize_row(src + r * in_row, scratch.source.data(), cols);
    to.quantize_row(x, dst + r * out_row, cols);
    to.dequantize_row(dst + r * out_row, y, cols);
    for (int64_t g = 0; g < cols; g += group) {
      float scale = 0.0f;
      for (int64_t j = g; j < g + group; ++j) scale = std::max(scale, std::fabs(x[j]));
      for (int64_t j = g; j < g + group; ++j) {
        if (y[j] == x[j]) {
          error.sum_sq_value += double(x[j]) * x[j];
          continue;
        }
        const double diff = std::fabs(double(y[j]) - double(x[j]));
        ++error.mismatches;
        error.sum_sq_error += diff * diff;
        error.sum_sq_value += double(x[j]) * x[j];
        // A zero group converts to zeros in every type, so scale > 0 here unless x holds NaN.
        const double rel = scale > 0.0f ? diff / scale : diff;
        if (!(rel <= error.max_error_of_scale)) error.max_error_of_scale = rel;  // NaN propagates
      }
    }
    error.elements += cols;
  }
}

}  // namespace trit::tools
