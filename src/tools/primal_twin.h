// The primal twin of a Bonsai 2 file (model/hadamard.h): the same model with its Hadamard
// rotation folded back into the weights, for engines that do not apply the contract (PrismML's
// llama.cpp fork ignores the keys). Each weight in weight_names, stored W_s with
// W x = W_s H_B (s ⊙ P x), is written as the dense F32 matrix W_s H_B diag(s) P; a latent
// embedding z as the F32 rows s ⊙ H_B z; every other tensor and key is copied as it is, the
// prism.hadamard.* keys left out. A rotated file and its twin compute the same function.
#pragma once
#include <cstdint>
#include <string>

namespace trit::tools {

struct PrimalTwinResult {
  uint64_t unrotated = 0;  // tensors written in primal form
  uint64_t file_bytes = 0;
};

// Streams tensor by tensor (memory: one F32 tensor). Throws trit::Error if `input` has no
// Hadamard keys or keys trit refuses, or the output cannot be written.
PrimalTwinResult write_primal_twin(const std::string& input, const std::string& output, bool overwrite);

}  // namespace trit::tools
