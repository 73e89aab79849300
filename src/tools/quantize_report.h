// The per-tensor report of `trit quantize`, as text lines or JSON.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/quantize.h"

namespace trit::tools {

// One line per tensor, then a summary line:
//   blk.0.attn_q.weight  [256, 256]  f16 -> q2_0  lossless
//   blk.0.attn_k.weight  [256, 128]  f16 -> q2_0  LOSSY: 3012 of 32768 values differ, rms 1.9e-03 (2.4%), max 0.500 of the group scale
//   output_norm.weight   [256]       f32 -> f32   1-D, kept in F32
//   29 of 29 matrices lossless (dequantize(quantize(x)) == x); 90.0 MiB -> 17.1 MiB in 0.8 s: OUT
std::string quantize_report_text(const QuantizeReport& report);
std::string quantize_summary_line(const QuantizeReport& report);

// {"input", "output", "type", "file_type", "seconds", "bytes_in", "bytes_out", "file_bytes",
//  "matrices", "lossless_matrices", "all_lossless",
//  "tensors": [{"name", "shape", "from", "to", "elements", "bytes_in", "bytes_out", "matrix",
//               "copied", "lossless", "mismatches", "rms_error", "rms_relative",
//               "max_error_of_scale"}]}
nlohmann::json quantize_report_json(const QuantizeReport& report);

}  // namespace trit::tools
