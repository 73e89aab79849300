#include "model/mtp_head.h"

#include <string>

#include "model/weight_binding.h"
#include "util/error.h"

namespace trit::model {

std::unique_ptr<MtpHead> MtpHead::load(const Model& model, kernels::ActivationPrecision precision) {
  const ModelConfig& c = model.config();
  const gguf::File& file = model.file();
  if (c.n_mtp_layers == 0)
    fail(file.path(), " has no multi-token-prediction block (", c.architecture,
         ".nextn_predict_layers is absent or 0): --spec mtp needs a file that carries one");
  if (c.arch != Architecture::qwen35)
    fail(file.path(), ": multi-token prediction is read for qwen35 files only, this one is ", c.architecture);
  if (c.n_mtp_layers > 1)
    fail(file.path(), " has ", c.n_mtp_layers, " multi-token-prediction blocks; trit drafts with files of one");
  if (model.rotation())
    fail(file.path(), " is Hadamard-rotated (prism.hadamard.*); multi-token prediction on a rotated file is not "
         "supported (the rotation of the MTP block's weights is not defined)");
  std::unique_ptr<MtpHead> head(new MtpHead(model));
  head->cache_config_ = c;
  head->cache_config_.n_layers = 1;
  head->cache_config_.full_attention_interval = 1;  // its one layer is attention
  head->cache_config_.n_mtp_layers = 0;

  const std::string p = "blk." + std::to_string(c.n_layers) + ".";
  MatrixBinder bind_matrix{file, precision, {}};
  head->enorm_ = bind_vector(file, p + "nextn.enorm.weight", c.n_embd);
  head->hnorm_ = bind_vector(file, p + "nextn.hnorm.weight", c.n_embd);
  head->eh_proj_ = bind_matrix(p + "nextn.eh_proj.weight", c.n_embd, 2 * c.n_embd);
  head->block_.attn_norm = bind_vector(file, p + "attn_norm.weight", c.n_embd);
  head->block_.attention = bind_attention(bind_matrix, p, c);
  bind_mlp(bind_matrix, p, "post_attention_norm.weight", c, head->block_);
  head->head_norm_ = file.find_tensor(p + "nextn.shared_head_norm.weight")
                         ? bind_vector(file, p + "nextn.shared_head_norm.weight", c.n_embd)
                         : model.output_norm();
  if (file.find_tensor(p + "nextn.shared_head_head.weight"))
    head->head_ = bind_matrix(p + "nextn.shared_head_head.weight", c.n_vocab, c.n_embd);
  if (file.find_tensor(p + "nextn.embed_tokens.weight")) {
    head->embed_ = &bind(file, p + "nextn.embed_tokens.weight", {uint64_t(c.n_embd), uint64_t(c.n_vocab)});
    if (!head->embed_->type->dequantize_row)
      fail(file.path(), ": tensor '", p, "nextn.embed_tokens.weight' has type ", head->embed_->type->name,
           ", which trit cannot read");
  }
  return head;
}

void MtpHead::embed(int32_t token, float* out) const {
  if (!embed_) return model_.embed(token, out);
  const int64_t n_embd = model_.config().n_embd;
  if (token < 0 || token >= model_.config().n_vocab)
    fail("token id ", token, " is outside the vocabulary (", model_.config().n_vocab, ")");
  embed_->type->dequantize_row(embed_->data + static_cast<size_t>(token) * embed_->row_bytes(), out, n_embd);
}

size_t MtpHead::weight_bytes() const {
  size_t total = eh_proj_->weight_bytes() + lm_head().weight_bytes();
  for (const kernels::PreparedMatrix* m : block_.matrices()) total += m->weight_bytes();
  return total;
}

}  // namespace trit::model
