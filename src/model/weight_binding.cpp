#include "model/weight_binding.h"

#include "util/error.h"

namespace trit::model {

// Finds a tensor and checks its shape; the message names the tensor, what was expected and found.
const gguf::TensorInfo& bind(const gguf::File& file, const std::string& name, std::vector<uint64_t> dims) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  if (!t) fail(file.path(), ": tensor '", name, "' is missing");
  if (t->dims != dims) {
    gguf::TensorInfo expected;
    expected.dims = dims;
    fail(file.path(), ": tensor '", name, "' has shape ", t->shape_string(), ", expected ", expected.shape_string());
  }
  return *t;
}

std::vector<float> bind_vector(const gguf::File& file, const std::string& name, int64_t n) {
  const gguf::TensorInfo& t = bind(file, name, {static_cast<uint64_t>(n)});
  if (!t.type->dequantize_row)
    fail(file.path(), ": tensor '", name, "' has type ", t.type->name, ", which trit cannot read");
  std::vector<float> out(n);
  t.type->dequantize_row(t.data, out.data(), n);
  return out;
}

std::unique_ptr<kernels::PreparedMatrix> MatrixBinder::operator()(const std::string& name, int64_t rows, int64_t cols) {
  const gguf::TensorInfo& t = bind(file, name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)});
  if (!t.type->computable())
    fail(file.path(), ": tensor '", name, "' has type ", t.type->name,
         ", which trit cannot compute with (supported: ", formats::join_names(formats::computable_type_names()), ")");
  kernels::MatrixView view{t.type, rows, cols, t.data, t.row_bytes()};
  auto m = kernels::prepare_matrix(view, kernels::active_isa(), precision);
  bound.emplace_back(name, m.get());
  return m;
}

AttentionWeights bind_attention(MatrixBinder& bind_matrix, const std::string& p, const ModelConfig& c) {
  const gguf::File& f = bind_matrix.file;
  AttentionWeights a;
  a.wq = bind_matrix(p + "attn_q.weight", c.q_dim() * (c.gated_attention ? 2 : 1), c.n_embd);
  a.wk = bind_matrix(p + "attn_k.weight", c.kv_dim(), c.n_embd);
  a.wv = bind_matrix(p + "attn_v.weight", c.kv_dim(), c.n_embd);
  a.q_norm = bind_vector(f, p + "attn_q_norm.weight", c.head_dim);
  a.k_norm = bind_vector(f, p + "attn_k_norm.weight", c.head_dim);
  a.wo = bind_matrix(p + "attn_output.weight", c.n_embd, c.q_dim());
  return a;
}

void bind_mlp(MatrixBinder& bind_matrix, const std::string& p, const char* norm_name, const ModelConfig& c,
              LayerWeights& l) {
  l.ffn_norm = bind_vector(bind_matrix.file, p + norm_name, c.n_embd);
  l.ffn_gate = bind_matrix(p + "ffn_gate.weight", c.n_ff, c.n_embd);
  l.ffn_up = bind_matrix(p + "ffn_up.weight", c.n_ff, c.n_embd);
  l.ffn_down = bind_matrix(p + "ffn_down.weight", c.n_embd, c.n_ff);
}

DeltaNetWeights bind_delta_net(MatrixBinder& bind_matrix, const std::string& p, const ModelConfig& c) {
  const gguf::File& f = bind_matrix.file;
  const DeltaNetConfig& d = c.delta_net;
  DeltaNetWeights w;
  w.wqkv = bind_matrix(p + "attn_qkv.weight", d.qkv_dim(), c.n_embd);
  w.wgate = bind_matrix(p + "attn_gate.weight", d.inner(), c.n_embd);
  w.wbeta = bind_matrix(p + "ssm_beta.weight", d.n_v_heads, c.n_embd);
  w.walpha = bind_matrix(p + "ssm_alpha.weight", d.n_v_heads, c.n_embd);
  // ssm_conv1d is [conv_kernel, qkv_dim] in GGUF: each channel's taps are contiguous.
  const gguf::TensorInfo& conv =
      bind(f, p + "ssm_conv1d.weight", {static_cast<uint64_t>(d.conv_kernel), static_cast<uint64_t>(d.qkv_dim())});
  if (!conv.type->dequantize_row)
    fail(f.path(), ": tensor '", p, "ssm_conv1d.weight' has type ", conv.type->name, ", which trit cannot read");
  w.conv.resize(d.conv_kernel * d.qkv_dim());
  conv.type->dequantize_row(conv.data, w.conv.data(), static_cast<int64_t>(w.conv.size()));
  w.dt_bias = bind_vector(f, p + "ssm_dt.bias", d.n_v_heads);
  w.a = bind_vector(f, p + "ssm_a", d.n_v_heads);
  w.norm = bind_vector(f, p + "ssm_norm.weight", d.head_dim);
  w.wout = bind_matrix(p + "ssm_out.weight", c.n_embd, d.inner());
  return w;
}


}  // namespace trit::model
