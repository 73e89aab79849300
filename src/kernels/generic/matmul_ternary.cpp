// Portable kernel for every ternary and sign type on the file's own block layout (no repacking):
// each weight row is expanded once into byte codes by the type's decode_codes (ternary 0..3; sign
// bit b -> 2b) and then dotted in int32 with every token's int8 activations; the code-1 offset and
// both scales are applied per block (see activations.h for the math). Any group works: 128 and 64
// get loops of a fixed trip count, others a plain loop.
#include <cstring>

#include "formats/fp16.h"
#include "kernels/kernel_tables.h"
#include "util/error.h"

namespace trit::kernels {
namespace {

constexpr int64_t kMaxCols = 1 << 16;  // per-row code buffer; larger rows are handled in slices

// A compile-time trip count lets the compiler vectorise the int8 dot with baseline SSE2.
template <int Group>
int32_t dot_codes_fixed(const uint8_t* codes, const int8_t* q) {
  int32_t sum = 0;
  for (int k = 0; k < Group; ++k) sum += static_cast<int32_t>(codes[k]) * q[k];
  return sum;
}

int32_t dot_codes(const uint8_t* codes, const int8_t* q, int group) {
  if (group == 128) return dot_codes_fixed<128>(codes, q);
  if (group == 64) return dot_codes_fixed<64>(codes, q);
  int32_t sum = 0;
  for (int k = 0; k < group; ++k) sum += static_cast<int32_t>(codes[k]) * q[k];
  return sum;
}

}  // namespace

void generic_ternary_rows(const MatrixView& w, const QuantizedActivations& x, int64_t row_begin,
                          int64_t row_end, float* y) {
  const formats::TypeInfo& type = *w.type;
  const int group = static_cast<int>(type.block_size);
  const size_t block_bytes = static_cast<size_t>(type.block_bytes);
  if (group > kMaxCols) fail("ternary kernel: blocks of ", group, " elements are longer than ", kMaxCols);
  const int64_t slice_blocks = kMaxCols / group;
  alignas(64) static thread_local uint8_t codes[kMaxCols];
  static thread_local float dscale[kMaxCols];
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.data + r * w.row_bytes;
    for (int64_t t = 0; t < x.n_tokens; ++t) y[t * w.rows + r] = 0.0f;
    for (int64_t b0 = 0; b0 < x.blocks; b0 += slice_blocks) {
      const int64_t nb = x.blocks - b0 < slice_blocks ? x.blocks - b0 : slice_blocks;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* block = row + (b0 + b) * block_bytes;
        uint16_t d;
        std::memcpy(&d, block + type.scale_offset, 2);
        dscale[b] = formats::fp16_to_f32(d);
        type.decode_codes(block, codes + b * group);
      }
      for (int64_t t = 0; t < x.n_tokens; ++t) {
        const int8_t* q = x.token_q(t) + b0 * group;
        const float* s = x.token_scale(t) + b0;
        const int32_t* qsum = x.token_sum(t) + b0;
        float acc = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
          const int32_t dot = dot_codes(codes + b * group, q + b * group, group) - qsum[b];
          acc += dscale[b] * s[b] * static_cast<float>(dot);
        }
        y[t * w.rows + r] += acc;
      }
    }
  }
}

}  // namespace trit::kernels
