// Binding a model's tensors by name: each found, its shape and type checked, a message naming the
// tensor, what was expected and what was found when it is wrong. Matrices are prepared for the
// active kernels. Shared by the model (weights.cpp) and its multi-token-prediction head
// (mtp_head.cpp), whose block is laid out as an attention layer.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gguf/reader.h"
#include "kernels/matmul.h"
#include "model/config.h"
#include "model/weights.h"

namespace trit::model {

// The tensor `name` with ggml dims `dims` ([cols, rows] for a matrix).
const gguf::TensorInfo& bind(const gguf::File& file, const std::string& name, std::vector<uint64_t> dims);
// A vector of n values as f32.
std::vector<float> bind_vector(const gguf::File& file, const std::string& name, int64_t n);

// Binds the file's matrices, remembering each one's name (for the Hadamard contract).
struct MatrixBinder {
  const gguf::File& file;
  kernels::ActivationPrecision precision;
  std::vector<std::pair<std::string, const kernels::PreparedMatrix*>> bound;

  // The matrix `name`, [rows x cols].
  std::unique_ptr<kernels::PreparedMatrix> operator()(const std::string& name, int64_t rows, int64_t cols);
};

// The tensors of one block, names prefixed by p ("blk.N.").
AttentionWeights bind_attention(MatrixBinder& bind_matrix, const std::string& p, const ModelConfig& c);
DeltaNetWeights bind_delta_net(MatrixBinder& bind_matrix, const std::string& p, const ModelConfig& c);
// The MLP and the norm before it (norm_name: ffn_norm.weight or post_attention_norm.weight) into l.
void bind_mlp(MatrixBinder& bind_matrix, const std::string& p, const char* norm_name, const ModelConfig& c,
              LayerWeights& l);

}  // namespace trit::model
