// Bonsai 2's Hadamard contract (GGUF keys prism.hadamard.*, shared/QWEN35.md): some weights are
// stored rotated, W_stored = W · (H diag(s) P)^T, so the engine must rotate their input first:
//   W x = W_stored T(x),   T(x) = H_B-blockwise(s_n ⊙ P(x)),
// with H_B the normalised Walsh-Hadamard matrix of block B (kernels::hadamard_blocks), s_n the
// file's ±1 vector for input width n, and P the identity except before ssm_out of a file with
// gdn_v_grouped, where the tiled value-head order becomes the grouped one. Embedding rows listed
// in inverse_weight_names are stored latent: the row is z with x = s_n ⊙ H(z).
// Every key is checked; a file that asks for anything else is refused by name, never run wrong.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/config.h"

namespace trit::gguf {
class File;
}

namespace trit::model {

struct HadamardRotation {
  int64_t block = 0;                              // prism.hadamard.block_size
  bool explicit_signs = false;                    // sign_mode: explicit, else identity (all +1)
  std::map<int64_t, std::vector<float>> signs;    // input width -> s (every width a rotated weight reads)
  std::set<std::string> rotated;                  // weight_names: matrices whose input is T(x)
  std::set<std::string> latent;                   // inverse_weight_names: token_embd.weight or none
  bool v_grouped = false;                         // gdn_v_grouped: P before ssm_out

  // Reads and checks the keys; nullopt when the file has none. The tensors of the file give each
  // listed weight's input width (its ggml dims[0]), which must be a multiple of the block and
  // have a sign vector.
  static std::optional<HadamardRotation> from_gguf(const gguf::File& file);

  bool rotates(const std::string& weight) const { return rotated.count(weight) > 0; }
  bool embedding_latent() const { return latent.count("token_embd.weight") > 0; }
  const std::vector<float>& signs_for(int64_t width) const;  // throws if the width has none
};

// P before ssm_out (gdn_v_grouped): the value head at grouped position r + (n_v / n_k) k is the
// recurrence's tiled head k + n_k r.
int64_t tiled_value_head(const DeltaNetConfig& d, int64_t grouped_head);

}  // namespace trit::model
