#include "kernels/delta_net_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "util/error.h"

namespace trit::kernels {
namespace {

float silu(float x) { return x / (1.0f + std::exp(-x)); }

// Channels go in blocks so each token's row is read in runs of contiguous floats while a block's
// window of the last K-1 inputs stays in a small local buffer; reading in_t[ch] before writing
// out_t[ch] is what lets out be x.
constexpr int64_t kConvBlock = 64;

}  // namespace

void causal_conv1d_silu(float* conv_state, const float* x, int64_t x_stride, int64_t n_tokens, const float* weight,
                        int64_t kernel, int64_t channels, float* out, int64_t out_stride) {
  if (kernel < 1) fail("causal_conv1d_silu: kernel size ", kernel, " is not positive");
  if (channels < 0) fail("causal_conv1d_silu: channel count ", channels, " is negative");
  const int64_t past = kernel - 1;
  // window[p * kConvBlock + c]: input p steps into the last K-1 (oldest first) of channel cb + c.
  std::vector<float> window(static_cast<size_t>(past * kConvBlock));
  for (int64_t cb = 0; cb < channels; cb += kConvBlock) {
    const int64_t n = std::min(kConvBlock, channels - cb);
    for (int64_t p = 0; p < past; ++p)
      std::copy_n(conv_state + p * channels + cb, n, window.data() + p * kConvBlock);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * x_stride + cb;
      float* ot = out + t * out_stride + cb;
      for (int64_t c = 0; c < n; ++c) {
        const float* w = weight + (cb + c) * kernel;
        const float in = xt[c];
        float sum = 0.0f;
        for (int64_t p = 0; p < past; ++p) sum += window[p * kConvBlock + c] * w[p];
        sum += in * w[past];
        for (int64_t p = 0; p + 1 < past; ++p) window[p * kConvBlock + c] = window[(p + 1) * kConvBlock + c];
        if (past > 0) window[(past - 1) * kConvBlock + c] = in;
        ot[c] = silu(sum);
      }
    }
    for (int64_t p = 0; p < past; ++p)
      std::copy_n(window.data() + p * kConvBlock, n, conv_state + p * channels + cb);
  }
}

void l2_norm_heads(float* x, int64_t n_heads, int64_t head_dim, float eps) {
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    double sum = 0.0;
    for (int64_t i = 0; i < head_dim; ++i) sum += static_cast<double>(v[i] * v[i]);
    const float scale = 1.0f / std::max(std::sqrt(static_cast<float>(sum)), eps);
    for (int64_t i = 0; i < head_dim; ++i) v[i] *= scale;
  }
}

void gated_rms_norm(const float* o, const float* z, const float* weight, int64_t n_heads, int64_t head_dim,
                    float eps, float* out) {
  for (int64_t h = 0; h < n_heads; ++h) {
    const float* oh = o + h * head_dim;
    const float* zh = z + h * head_dim;
    float* y = out + h * head_dim;
    double sum = 0.0;
    for (int64_t i = 0; i < head_dim; ++i) sum += static_cast<double>(oh[i] * oh[i]);
    const float mean = static_cast<float>(sum / static_cast<double>(head_dim));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < head_dim; ++i) y[i] = oh[i] * scale * weight[i] * silu(zh[i]);
  }
}

float softplus(float x) { return x > 20.0f ? x : std::log(1.0f + std::exp(x)); }

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

void delta_net_gates(const float* alpha, const float* beta_in, const float* dt_bias, const float* a,
                     int64_t n_v_heads, float* g, float* beta) {
  for (int64_t h = 0; h < n_v_heads; ++h) {
    g[h] = softplus(alpha[h] + dt_bias[h]) * a[h];
    beta[h] = sigmoid(beta_in[h]);
  }
}

}  // namespace trit::kernels
