#include "model/weights.h"

#include "model/weight_binding.h"

#include "kernels/ops.h"
#include "util/error.h"

namespace trit::model {

std::unique_ptr<Model> Model::load(const std::string& path, kernels::ActivationPrecision precision) {
  return load(gguf::File::open(path), precision);
}

std::unique_ptr<Model> Model::load(gguf::File file, kernels::ActivationPrecision precision) {
  return std::unique_ptr<Model>(new Model(std::move(file), precision));
}

std::vector<const kernels::PreparedMatrix*> LayerWeights::matrices() const {
  std::vector<const kernels::PreparedMatrix*> all;
  for (const auto* m : {attention.wq.get(), attention.wk.get(), attention.wv.get(), attention.wo.get(),
                        delta_net.wqkv.get(), delta_net.wgate.get(), delta_net.wbeta.get(), delta_net.walpha.get(),
                        delta_net.wout.get(), ffn_gate.get(), ffn_up.get(), ffn_down.get()})
    if (m) all.push_back(m);
  return all;
}

Model::Model(gguf::File file, kernels::ActivationPrecision precision)
    : file_(std::move(file)), config_(ModelConfig::from_gguf(file_)), rotation_(HadamardRotation::from_gguf(file_)) {
  const ModelConfig& c = config_;
  token_embd_ = &bind(file_, "token_embd.weight", {uint64_t(c.n_embd), uint64_t(c.n_vocab)});
  if (!token_embd_->type->dequantize_row)
    fail(file_.path(), ": tensor 'token_embd.weight' has type ", token_embd_->type->name, ", which trit cannot read");
  MatrixBinder bind_matrix{file_, precision, {}};
  // Norm after the mixer, before the MLP: Qwen3 names it ffn_norm, qwen35 post_attention_norm.
  const char* mlp_norm = c.arch == Architecture::qwen35 ? "post_attention_norm.weight" : "ffn_norm.weight";
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights l;
    l.attn_norm = bind_vector(file_, p + "attn_norm.weight", c.n_embd);
    if (c.is_delta_net(i))
      l.delta_net = bind_delta_net(bind_matrix, p, c);
    else
      l.attention = bind_attention(bind_matrix, p, c);
    bind_mlp(bind_matrix, p, mlp_norm, c, l);
    layers_.push_back(std::move(l));
  }
  output_norm_ = bind_vector(file_, "output_norm.weight", c.n_embd);
  lm_head_ = bind_matrix(c.tied_embeddings ? "token_embd.weight" : "output.weight", c.n_vocab, c.n_embd);
  if (rotation_) mark_rotated_inputs(bind_matrix.bound);
}

// Each matrix the rotation lists reads T(x). A tied LM head is the embedding table: stored latent,
// its rows are z with e = s ⊙ H z, so e · x = z · T(x) and it reads T(x) too.
void Model::mark_rotated_inputs(const std::vector<std::pair<std::string, const kernels::PreparedMatrix*>>& bound) {
  std::set<std::string> unused = rotation_->rotated;
  for (const auto& [name, matrix] : bound) {
    const bool tied_latent_head = matrix == lm_head_.get() && config_.tied_embeddings && rotation_->embedding_latent();
    if (rotation_->rotates(name) || tied_latent_head) rotated_inputs_.insert(matrix);
    unused.erase(name);
  }
  if (!unused.empty())
    fail(file_.path(), ": prism.hadamard.weight_names lists '", *unused.begin(),
         "', which is not a matrix this model multiplies; trit cannot tell what its rotation means");
}

void Model::embed(int32_t token, float* out) const {
  if (token < 0 || token >= config_.n_vocab) fail("token id ", token, " is outside the vocabulary (", config_.n_vocab, ")");
  const size_t row_bytes = token_embd_->row_bytes();
  token_embd_->type->dequantize_row(token_embd_->data + static_cast<size_t>(token) * row_bytes, out, config_.n_embd);
  if (rotation_ && rotation_->embedding_latent()) {
    // A latent row z: the embedding is s ⊙ H z (hadamard.h).
    kernels::hadamard_blocks(out, config_.n_embd, rotation_->block, nullptr);
    const std::vector<float>& s = rotation_->signs_for(config_.n_embd);
    for (int64_t i = 0; i < config_.n_embd; ++i) out[i] *= s[i];
  }
}

size_t Model::weight_bytes() const {
  size_t total = lm_head_->weight_bytes();
  for (const LayerWeights& l : layers_)
    for (const kernels::PreparedMatrix* m : l.matrices()) total += m->weight_bytes();
  return total;
}

uint64_t Model::parameter_count() const {
  uint64_t n = 0;
  for (const gguf::TensorInfo& t : file_.tensors()) n += t.element_count();
  return n;
}

}  // namespace trit::model
