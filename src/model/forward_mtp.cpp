// The multi-token-prediction head's forward (mtp_head.h): eh_proj over the normed embedding and
// hidden state, one gated-attention block with the model's attention and MLP code, the head's norm
// and the LM head on the last row.
#include "kernels/ops.h"
#include "model/forward.h"
#include "util/error.h"

namespace trit::model {

const std::vector<float>& ForwardPass::run_mtp(const MtpHead& head, KvSequence& cache, std::span<const int32_t> tokens,
                                               const float* hidden) {
  if (&head.model() != &model_) fail("forward: the MTP head belongs to another model");
  const ModelConfig& c = model_.config();
  const SequenceStep step{&cache, tokens, false};
  begin_step(std::span<const SequenceStep>(&step, 1), false);
  const int64_t T = n_tokens_, e = c.n_embd;
  if (static_cast<int64_t>(mtp_in_.size()) < T * 2 * e) mtp_in_.resize(T * 2 * e);
  // in = [RMSNorm(embed(t)) * enorm | RMSNorm(h) * hnorm]          [T x 2 n_embd]
  pool_.parallel_for(T, 1, [&](size_t b, size_t end, int) {
    for (size_t i = b; i < end; ++i) {
      float* in = &mtp_in_[i * 2 * e];
      head.embed(tokens[i], in + e);  // the second half is scratch until the hidden row goes there
      kernels::rms_norm(in + e, head.enorm().data(), e, c.rms_eps, in);
      kernels::rms_norm(hidden + i * e, head.hnorm().data(), e, c.rms_eps, in + e);
    }
  });
  // x = W_eh in                                                   [T x n_embd]
  multiply_input({&head.eh_proj()}, mtp_in_.data(), T, 2 * e, {x_.data()});
  const LayerWeights& block = head.block();
  normalize_input(block.attn_norm);
  attention_block(block.attention, 0);  // x += Wo . Attn(xn), the block's cache
  mlp_block(block);                     // x += Wdown . (silu(Wgate . n) * (Wup . n))
  cache.set_length(cache.length() + T);
  // logits = LM head (RMSNorm(x_last) * shared_head_norm)
  kernels::rms_norm(&x_[(T - 1) * e], head.head_norm().data(), e, c.rms_eps, logit_in_.data());
  multiply_input({&head.lm_head()}, logit_in_.data(), 1, e, {logits_.data()});
  return logits_;
}

}  // namespace trit::model
