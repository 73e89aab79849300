// `trit quantize`: converts every weight matrix of a GGUF model to one weight type, keeping all
// metadata (the tokenizer included) and the tensor order, with 1-D tensors (norms) in F32.
//
// Streaming: the input is mapped, and each matrix is converted a block of rows at a time
// (dequantize to f32, quantize to the target, dequantize again to measure the error), written,
// and the source pages already converted are dropped from memory (madvise MADV_DONTNEED), so peak
// resident memory is a few row blocks, not the file. The output is written atomically
// (gguf::Writer): on any error nothing is left at the destination.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/progress.h"

namespace trit::tools {

struct QuantizeOptions {
  std::string input;
  std::string output;
  std::string type;        // one of formats::quantize_type_names()
  bool overwrite = false;  // replace an existing output file
  int threads = 0;         // 0: physical cores
  Progress::Mode progress = Progress::Mode::automatic;
};

// One tensor of the output. For a converted tensor the error of dequantize(quantize(x)) against
// the source values x: lossless when it gives x back exactly (bit for bit as floats).
struct TensorReport {
  std::string name;
  std::string shape;          // "[256, 151936]"
  std::string from;           // source type name
  std::string to;             // output type name
  uint64_t elements = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  bool matrix = false;        // false: a 1-D tensor kept in F32
  bool copied = false;        // same type in and out: bytes copied as they are
  bool lossless = true;
  uint64_t mismatches = 0;    // elements that did not come back exactly
  double rms_error = 0;       // sqrt(mean((y - x)^2))
  double rms_relative = 0;    // rms_error / sqrt(mean(x^2)) (0 for an all-zero tensor)
  // max |y - x| / s over all elements, where s is the largest |x| of the element's group (the
  // target's block: 128 values for q2_0, 32 for q8_0, 1 for the float types). For Q2_0 s is the
  // group scale d, so 0.5 means an element sat halfway between two ternary levels.
  double max_error_of_scale = 0;
};

struct QuantizeReport {
  std::string input;
  std::string output;
  std::string type;            // the target type name
  uint32_t file_type = 0;      // general.file_type written
  std::vector<TensorReport> tensors;
  uint64_t bytes_in = 0;       // tensor bytes read
  uint64_t bytes_out = 0;      // tensor bytes written
  uint64_t file_bytes = 0;     // size of the output file
  double seconds = 0;

  size_t matrices() const;
  size_t lossless_matrices() const;
};

// general.file_type (llama_ftype) for a target type name, from the type registry
// (formats::TypeInfo::file_type); the real Bonsai files use 1 for F16 and 41 for Q2_0.
uint32_t quantize_file_type(const std::string& type_name);

// Converts options.input to options.output. Throws trit::Error naming the problem: an unknown
// or unsupported type, OUT naming the input file (also through another path), a corrupt input,
// a tensor whose type cannot be converted or whose rows do not fit the target's blocks, an
// unwritable destination or a full disk. Nothing is left at the destination on failure.
QuantizeReport quantize_model(const QuantizeOptions& options);

}  // namespace trit::tools
