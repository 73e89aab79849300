// The inner loop of `trit quantize`: converting a block of rows from one weight type to another
// and measuring what the conversion lost. Kept apart from the file streaming so it can be tested
// on its own.
#pragma once
#include <cstdint>
#include <vector>

#include "formats/type_info.h"

namespace trit::tools {

// Error of y = dequantize(quantize(x)) against x, accumulated over any number of rows.
struct ConversionError {
  uint64_t elements = 0;
  uint64_t mismatches = 0;    // elements with y != x (NaN never matches)
  double sum_sq_error = 0;    // sum (y - x)^2
  double sum_sq_value = 0;    // sum x^2
  double max_error_of_scale = 0;  // max |y - x| / (largest |x| in the element's target group)

  void merge(const ConversionError& other);
  bool lossless() const { return mismatches == 0; }
};

// Scratch buffers for one thread.
struct RowScratch {
  std::vector<float> source;   // one row dequantized from the input type
  std::vector<float> back;     // the converted row dequantized again
};

// Converts `rows` rows of `cols` values from `from` (at `src`) to `to` (into `dst`), adding the
// conversion error to `error`. cols must be a multiple of both types' block sizes.
void convert_rows(const formats::TypeInfo& from, const formats::TypeInfo& to, const uint8_t* src, uint8_t* dst,
                  int64_t rows, int64_t cols, RowScratch& scratch, ConversionError& error);

}  // namespace trit::tools
