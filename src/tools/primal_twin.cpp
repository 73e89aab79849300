#include "tools/primal_twin.h"

#include <filesystem>

#include "formats/type_info.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "kernels/ops.h"
#include "model/config.h"
#include "model/hadamard.h"
#include "util/error.h"

namespace trit::tools {
namespace {

// The input permutation P of a rotated weight, as (P x)[j] = x[perm[j]] (hadamard.h).
std::vector<int64_t> input_order(const std::string& name, int64_t width, const model::HadamardRotation& r,
                                 const model::ModelConfig& c) {
  std::vector<int64_t> perm(width);
  for (int64_t j = 0; j < width; ++j) perm[j] = j;
  const std::string suffix = "ssm_out.weight";
  const bool ssm_out = name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (!ssm_out || !r.v_grouped) return perm;
  const model::DeltaNetConfig& d = c.delta_net;
  for (int64_t g = 0; g < d.n_v_heads; ++g)
    for (int64_t i = 0; i < d.head_dim; ++i) perm[i + d.head_dim * g] = i + d.head_dim * model::tiled_value_head(d, g);
  return perm;
}

}  // namespace

PrimalTwinResult write_primal_twin(const std::string& input, const std::string& output, bool overwrite) {
  gguf::File file = gguf::File::open(input);
  const std::optional<model::HadamardRotation> rotation = model::HadamardRotation::from_gguf(file);
  if (!rotation) fail(input, ": the file has no prism.hadamard.* keys: it is its own primal twin");
  const model::ModelConfig config = model::ModelConfig::from_gguf(file);
  const formats::TypeInfo& f32 = *formats::type_by_format(formats::Format::f32);

  gguf::Writer writer(output, overwrite, file.alignment());
  for (const auto& [key, value] : file.metadata())
    if (key.rfind("prism.hadamard.", 0) != 0) writer.set(key, value);
  auto primal = [&](const gguf::TensorInfo& t) { return rotation->rotates(t.name) || rotation->latent.count(t.name); };
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (primal(t) && !t.type->dequantize_row) fail(input, ": tensor '", t.name, "' has type ", t.type->name, ", which trit cannot read");
    if (primal(t))
      writer.add_tensor({t.name, t.dims, f32.ggml_id, f32.bytes_for(t.element_count())});
    else
      writer.add_tensor({t.name, t.dims, t.type->ggml_id, t.size});
  }
  writer.begin_data();

  PrimalTwinResult result;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (!primal(t)) {
      writer.write(t.data, t.size);
      continue;
    }
    ++result.unrotated;
    const int64_t width = static_cast<int64_t>(t.dims[0]);
    const std::vector<float>& s = rotation->signs_for(width);
    const bool latent = rotation->latent.count(t.name) > 0;
    const std::vector<int64_t> perm = latent ? std::vector<int64_t>{} : input_order(t.name, width, *rotation, config);
    std::vector<float> u(width), out(width);
    for (uint64_t r = 0; r < t.rows(); ++r) {
      t.type->dequantize_row(t.data + r * t.row_bytes(), u.data(), width);
      kernels::hadamard_blocks(u.data(), width, rotation->block, nullptr);  // u = H w_s (H is symmetric)
      if (latent) {
        // The embedding: e = s ⊙ H z.
        for (int64_t j = 0; j < width; ++j) out[j] = s[j] * u[j];
      } else {
        // W x = W_s H (s ⊙ P x), (P x)[j] = x[perm[j]]: the primal row is w[perm[j]] = s[j] (H w_s)[j].
        for (int64_t j = 0; j < width; ++j) out[perm[j]] = s[j] * u[j];
      }
      writer.write(out.data(), out.size() * sizeof(float));
    }
  }
  writer.finish();
  result.file_bytes = std::filesystem::file_size(output);
  return result;
}

}  // namespace trit::tools
