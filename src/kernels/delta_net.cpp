#include "kernels/delta_net.h"

#include "kernels/kernel_set.h"
#include "util/error.h"

namespace trit::kernels {

void delta_net(float* state, const float* q, const float* k, int64_t qk_stride, const float* v, int64_t v_stride,
               const float* g, const float* beta, int64_t gb_stride, float* out, int64_t out_stride,
               int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin, int64_t head_end) {
  if (shape.head_dim <= 0 || shape.n_k_heads <= 0 || shape.n_v_heads <= 0)
    fail("delta_net: shape needs positive sizes, got n_k_heads=", shape.n_k_heads, " n_v_heads=", shape.n_v_heads,
         " head_dim=", shape.head_dim);
  if (shape.n_v_heads % shape.n_k_heads != 0)
    fail("delta_net: n_v_heads=", shape.n_v_heads, " is not a multiple of n_k_heads=", shape.n_k_heads);
  if (head_begin < 0 || head_begin > head_end || head_end > shape.n_v_heads)
    fail("delta_net: head range [", head_begin, ", ", head_end, ") is not within [0, ", shape.n_v_heads, ")");
  if (n_tokens < 0) fail("delta_net: n_tokens=", n_tokens, " is negative");
  static const DeltaNetFn chosen = active_kernel_set().delta_net;
  const DeltaNetFn body = shape.head_dim % 8 == 0 ? chosen : delta_net_generic;
  body(state, q, k, qk_stride, v, v_stride, g, beta, gb_stride, out, out_stride, n_tokens, shape, head_begin,
       head_end);
}

}  // namespace trit::kernels
