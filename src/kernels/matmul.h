// Matrix multiplication of a weight matrix by a batch of activation rows, the engine's one
// interface to the weight kernels.
//
//   y[t * rows + r] = sum_c W[r, c] * x[t * cols + c]      for t < n_tokens, r < rows
//
// W is stored as in the file: `rows` rows of `cols` elements in its weight format, each row
// `row_bytes` long (GGUF dims[0] = cols). A kernel set may repack W once at load (prepare) into
// a layout of its own; the repacked copy replaces the mapped bytes in memory use.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>

#include "formats/type_info.h"
#include "kernels/activations.h"
#include "kernels/isa.h"
#include "util/thread_pool.h"

namespace trit::kernels {

struct MatrixView {
  const formats::TypeInfo* type = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;
};

class PreparedMatrix {
 public:
  virtual ~PreparedMatrix() = default;
  virtual const MatrixView& view() const = 0;
  // Bytes of weights one full pass reads (for GB/s figures).
  virtual size_t weight_bytes() const = 0;
  // y = W x for a batch, see the file comment. Threads split the output rows.
  virtual void multiply(const float* x, int64_t n_tokens, float* y, ThreadPool& pool) const = 0;
};

// Prepares W for the kernels of `isa` (default: active_isa()). Ternary weights multiply int8
// activations at `precision` (activations.h; float weights ignore it). Throws trit::Error for a
// weight format the kernels cannot compute with.
std::unique_ptr<PreparedMatrix> prepare_matrix(const MatrixView& w);
std::unique_ptr<PreparedMatrix> prepare_matrix(const MatrixView& w, Isa isa,
                                               ActivationPrecision precision = ActivationPrecision::int8);

// ys[i] = Ws[i] x for matrices that read the same input (Wq, Wk, Wv; Wgate, Wup), each as
// multiply() would compute it. Repacked ternary matrices of one kernel set quantize x once and
// share one pool job over all their rows, so the smaller ones do not end in a half-idle tail;
// anything else is multiplied one matrix at a time.
void multiply_shared_input(std::span<const PreparedMatrix* const> ws, const float* x, int64_t n_tokens,
                           std::span<float* const> ys, ThreadPool& pool);
void multiply_shared_input(std::initializer_list<const PreparedMatrix*> ws, const float* x, int64_t n_tokens,
                           std::initializer_list<float*> ys, ThreadPool& pool);

}  // namespace trit::kernels
