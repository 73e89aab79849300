// prepare_matrix(): validates a weight matrix and binds it to the kernel set of one ISA.
//
//   floating family (f32, f16, bf16, q8_0) -> FloatMatrix: rows widened to f32, dotted with f32
//                                            activations.
//   ternary and sign families  -> PackedTernaryMatrix where the ISA's kernel set has packed kernels
//                                 for one of the type's panel layouts (packed_codes_for()) and its
//                                 group: repacked once into row panels (packed_layout.h), the
//                                 source pages then released;
//                              -> else TernaryFileMatrix: the file's layout, int8 activations.
#include "kernels/matmul.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "kernels/kernel_set.h"
#include "util/error.h"

namespace trit::kernels {
namespace {

// Work is split into about kChunksPerThread chunks per thread, taken dynamically
// (ThreadPool::parallel_chunks), so both cores stay busy to the end of every matmul even when the
// OS delays one of them. Chunks of packed panels are still long sequential streams (tens of KB).
constexpr size_t kChunksPerThread = 8;

size_t chunk_size(size_t units, const ThreadPool& pool, size_t minimum) {
  const size_t c = units / (static_cast<size_t>(pool.size()) * kChunksPerThread);
  return c < minimum ? minimum : c;
}

// Quantizes x into the calling thread's scratch; prompt batches split the tokens over the pool.
// int8x2 adds the residual rows (activations.h), so the result holds 2 x n_tokens rows.
const QuantizedActivations& quantize_input(const float* x, int64_t n_tokens, int64_t cols, int64_t group,
                                           QuantizeTokensFn quantize, ActivationPrecision precision,
                                           ThreadPool& pool) {
  static thread_local QuantizedActivations scratch;
  // A lambda naming `scratch` on a worker would reach that worker's own thread_local: capture a
  // reference to the caller's instead.
  QuantizedActivations& a = scratch;
  const bool two_terms = precision == ActivationPrecision::int8x2;
  resize_activations(a, two_terms ? 2 * n_tokens : n_tokens, cols, group);
  const ActivationsOut out = a.out();
  auto quantize_range = [&out, x, quantize, two_terms](int64_t t0, int64_t t1) {
    quantize(x, out, t0, t1);
    if (two_terms) quantize_residual_tokens(x, out, t0, t1, quantize);
  };
  if (n_tokens < 4) {
    quantize_range(0, n_tokens);
  } else {
    pool.parallel_for(static_cast<size_t>(n_tokens), 1, [&quantize_range](size_t t0, size_t t1, int) {
      quantize_range(static_cast<int64_t>(t0), static_cast<int64_t>(t1));
    });
  }
  return a;
}

// int8x2: the kernels write 2 x n_tokens output rows into the calling thread's scratch (one
// buffer per matrix of a shared-input call); fold_two_terms adds each token's residual row to
// its value row into y.
float* two_term_output(size_t matrix, int64_t n_tokens, int64_t rows) {
  static thread_local std::vector<std::vector<float>> buffers;
  if (buffers.size() <= matrix) buffers.resize(matrix + 1);
  buffers[matrix].resize(static_cast<size_t>(2 * n_tokens * rows));
  return buffers[matrix].data();
}

void fold_two_terms(const float* wide, int64_t n_tokens, int64_t rows, float* y) {
  const int64_t n = n_tokens * rows;
  for (int64_t i = 0; i < n; ++i) y[i] = wide[i] + wide[n + i];
}

class FloatMatrix final : public PreparedMatrix {
 public:
  FloatMatrix(const MatrixView& w, FloatRowsFn fn) : w_(w), fn_(fn) {}
  const MatrixView& view() const override { return w_; }
  size_t weight_bytes() const override { return w_.row_bytes * static_cast<size_t>(w_.rows); }
  void multiply(const float* x, int64_t n_tokens, float* y, ThreadPool& pool) const override {
    if (n_tokens <= 0) return;
    const size_t rows = static_cast<size_t>(w_.rows);
    pool.parallel_chunks(rows, chunk_size(rows, pool, 4), [&](size_t r0, size_t r1, int) {
      static thread_local std::vector<float> scratch;
      if (scratch.size() < static_cast<size_t>(w_.cols)) scratch.resize(static_cast<size_t>(w_.cols));
      fn_(w_, x, n_tokens, static_cast<int64_t>(r0), static_cast<int64_t>(r1), scratch.data(), y);
    });
  }

 private:
  MatrixView w_;
  FloatRowsFn fn_;
};

class TernaryFileMatrix final : public PreparedMatrix {
 public:
  TernaryFileMatrix(const MatrixView& w, ActivationPrecision precision) : w_(w), precision_(precision) {}
  const MatrixView& view() const override { return w_; }
  size_t weight_bytes() const override { return w_.row_bytes * static_cast<size_t>(w_.rows); }
  void multiply(const float* x, int64_t n_tokens, float* y, ThreadPool& pool) const override {
    if (n_tokens <= 0) return;
    const QuantizedActivations& a =
        quantize_input(x, n_tokens, w_.cols, w_.type->block_size, quantize_tokens_generic, precision_, pool);
    const bool two_terms = precision_ == ActivationPrecision::int8x2;
    float* out = two_terms ? two_term_output(0, n_tokens, w_.rows) : y;
    const size_t rows = static_cast<size_t>(w_.rows);
    pool.parallel_chunks(rows, chunk_size(rows, pool, 4), [&](size_t r0, size_t r1, int) {
      generic_ternary_rows(w_, a, static_cast<int64_t>(r0), static_cast<int64_t>(r1), out);
    });
    if (two_terms) fold_two_terms(out, n_tokens, w_.rows, y);
  }

 private:
  MatrixView w_;
  ActivationPrecision precision_;
};

// Tells the kernel that the source pages of a repacked matrix are no longer needed, so the
// packed copy replaces them in memory use. MADV_PAGEOUT (Linux 5.4) reclaims clean file pages of
// a mapped model and keeps the contents valid (they fault back in if read, e.g. token-embedding
// rows of a tied LM head); on anonymous memory it is harmless. Older kernels: no-op.
void release_source_pages(const uint8_t* data, size_t bytes) {
#ifdef MADV_PAGEOUT
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_PAGEOUT);
#else
  (void)data;
  (void)bytes;
#endif
}

class PackedTernaryMatrix;
void multiply_packed_set(const PackedTernaryMatrix* const* ms, size_t count, const float* x, int64_t n_tokens,
                         float* const* ys, ThreadPool& pool);

class PackedTernaryMatrix final : public PreparedMatrix {
 public:
  PackedTernaryMatrix(const MatrixView& w, const PackedTernaryKernels& kernels, QuantizeTokensFn quantize,
                      ActivationPrecision precision)
      : w_(w),
        kernels_(kernels),
        quantize_(quantize),
        precision_(precision),
        layout_(packed_layout_for(w, kernels.rows_per_panel, kernels.codes)) {
    // 64 bytes of slack: a septet kernel loads whole 64-byte registers from 56-byte vectors.
    const size_t bytes = (layout_.total_bytes() + 63) / 64 * 64 + 64;
    packed_ = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
    if (!packed_) fail("out of memory repacking a ", w.rows, "x", w.cols, " matrix");
    pack_ternary(w, layout_, packed_);
    release_source_pages(w.data, w.row_bytes * static_cast<size_t>(w.rows));
  }
  ~PackedTernaryMatrix() override { std::free(packed_); }
  const MatrixView& view() const override { return w_; }
  size_t weight_bytes() const override { return layout_.total_bytes(); }
  void multiply(const float* x, int64_t n_tokens, float* y, ThreadPool& pool) const override {
    const PackedTernaryMatrix* self = this;
    multiply_packed_set(&self, 1, x, n_tokens, &y, pool);
  }
  void multiply_panels(const ActivationsView& a, int64_t p0, int64_t p1, float* y) const {
    kernels_.multiply(layout_, packed_, p0, p1, a, y);
  }
  // Matrices that can share one quantized input and one pool job (multiply_shared_input).
  bool shares_input_with(const PackedTernaryMatrix& o) const {
    return o.kernels_.multiply == kernels_.multiply && o.quantize_ == quantize_ && o.w_.cols == w_.cols &&
           o.layout_.group == layout_.group && o.precision_ == precision_;
  }
  QuantizeTokensFn quantizer() const { return quantize_; }
  ActivationPrecision precision() const { return precision_; }
  const PackedLayout& layout() const { return layout_; }

 private:
  MatrixView w_;
  PackedTernaryKernels kernels_;
  QuantizeTokensFn quantize_;
  ActivationPrecision precision_;
  PackedLayout layout_;
  uint8_t* packed_ = nullptr;
};

// x quantized once for a set of matrices that share_input_with the first, then one pool job
// over all their panels, each matrix cut as it would be alone; int8x2 results are folded at the
// end. PackedTernaryMatrix::multiply is the set of one.
void multiply_packed_set(const PackedTernaryMatrix* const* ms, size_t count, const float* x, int64_t n_tokens,
                         float* const* ys, ThreadPool& pool) {
  if (n_tokens <= 0) return;
  const PackedTernaryMatrix& first = *ms[0];
  const ActivationsView a = quantize_input(x, n_tokens, first.view().cols, first.layout().group, first.quantizer(),
                                           first.precision(), pool)
                                .view();
  const bool two_terms = first.precision() == ActivationPrecision::int8x2;
  struct Unit {
    size_t matrix;
    int64_t p0, p1;
  };
  thread_local std::vector<Unit> units;
  units.clear();
  for (size_t m = 0; m < count; ++m) {
    const size_t panels = static_cast<size_t>(ms[m]->layout().panels);
    const size_t chunk = chunk_size(panels, pool, 1);
    for (size_t p = 0; p < panels; p += chunk)
      units.push_back({m, static_cast<int64_t>(p), static_cast<int64_t>(std::min(panels, p + chunk))});
  }
  // int8x2 writes 2 x n_tokens rows per matrix into scratch instead of the caller's outputs.
  thread_local std::vector<float*> wide;
  wide.clear();
  for (size_t m = 0; two_terms && m < count; ++m) wide.push_back(two_term_output(m, n_tokens, ms[m]->view().rows));
  float* const* outputs = two_terms ? wide.data() : ys;
  const std::vector<Unit>& work = units;
  pool.parallel_chunks(work.size(), 1, [&](size_t u0, size_t u1, int) {
    for (size_t u = u0; u < u1; ++u)
      ms[work[u].matrix]->multiply_panels(a, work[u].p0, work[u].p1, outputs[work[u].matrix]);
  });
  for (size_t m = 0; two_terms && m < count; ++m) fold_two_terms(wide[m], n_tokens, ms[m]->view().rows, ys[m]);
}

void validate(const MatrixView& w) {
  if (w.type == nullptr) fail("matrix has no weight type");
  if (w.rows <= 0 || w.cols <= 0) fail("matrix of ", w.type->name, " has empty shape ", w.rows, "x", w.cols);
  if (!w.type->computable())
    fail("weight type ", w.type->name, " is not supported by trit's matrix kernels");
  if (w.cols % w.type->block_size != 0)
    fail("matrix of ", w.type->name, " has ", w.cols, " columns, not a multiple of its block size ",
         w.type->block_size);
  if (w.row_bytes != w.type->bytes_for(static_cast<uint64_t>(w.cols)))
    fail("matrix of ", w.type->name, " with ", w.cols, " columns has row_bytes ", w.row_bytes,
         ", expected ", w.type->bytes_for(static_cast<uint64_t>(w.cols)));
  if (w.data == nullptr) fail("matrix of ", w.type->name, " has no data");
}

}  // namespace

void multiply_shared_input(std::span<const PreparedMatrix* const> ws, const float* x, int64_t n_tokens,
                           std::span<float* const> ys, ThreadPool& pool) {
  if (ws.size() != ys.size()) fail("multiply_shared_input: ", ws.size(), " matrices but ", ys.size(), " outputs");
  if (n_tokens <= 0) return;
  std::vector<const PackedTernaryMatrix*> packed;
  for (const PreparedMatrix* w : ws) {
    const auto* p = dynamic_cast<const PackedTernaryMatrix*>(w);
    if (!p || (!packed.empty() && !packed.front()->shares_input_with(*p))) {
      packed.clear();
      break;
    }
    packed.push_back(p);
  }
  if (packed.empty()) {
    auto y = ys.begin();
    for (const PreparedMatrix* w : ws) w->multiply(x, n_tokens, *y++, pool);
    return;
  }
  multiply_packed_set(packed.data(), packed.size(), x, n_tokens, ys.data(), pool);
}

void multiply_shared_input(std::initializer_list<const PreparedMatrix*> ws, const float* x, int64_t n_tokens,
                           std::initializer_list<float*> ys, ThreadPool& pool) {
  multiply_shared_input(std::span(ws.begin(), ws.size()), x, n_tokens, std::span(ys.begin(), ys.size()), pool);
}

std::unique_ptr<PreparedMatrix> prepare_matrix(const MatrixView& w) { return prepare_matrix(w, active_isa()); }

std::unique_ptr<PreparedMatrix> prepare_matrix(const MatrixView& w, Isa isa, ActivationPrecision precision) {
  validate(w);
  if (!cpu_supports(isa)) fail("kernels for ", isa_name(isa), " requested, but this CPU lacks ", isa_name(isa));
  const KernelSet& set = kernel_set(isa);
  if (!w.type->coded()) return std::make_unique<FloatMatrix>(w, set.float_rows);
  if (const PackedTernaryKernels* packed = packed_kernels_of(set, *w.type))
    return std::make_unique<PackedTernaryMatrix>(w, *packed, set.quantize_tokens, precision);
  return std::make_unique<TernaryFileMatrix>(w, precision);
}

}  // namespace trit::kernels
