// `trit mkmodel --hadamard`: the prism.hadamard.* keys of a Bonsai 2 file (model/hadamard.h) for a
// synthetic plan. The stored weights stay the random synthetic ones: they are, by definition, the
// rotated weights of some primal model (tools/primal_twin.h writes that model out). Rotated, as in
// the real 27B file: every coded matrix (attn_qkv, attn_gate, ssm_out, attn_q/k/v/output,
// ffn_gate/up/down, output); token_embd is latent. ssm_alpha/ssm_beta (BF16) read the raw input.
// Signs: explicit, random ±1 from the seed, one vector per input width.
#include <numeric>
#include <random>
#include <set>

#include "gguf/writer.h"
#include "tools/synthetic_plan.h"
#include "util/error.h"

namespace trit::tools {

int64_t hadamard_block_for(const std::vector<PlannedTensor>& plan, int64_t requested) {
  uint64_t common = 0;
  for (const PlannedTensor& t : plan)
    if (t.kind == PlannedTensor::Kind::matrix) common = std::gcd(common, t.dims[0]);
  const int64_t widest = static_cast<int64_t>(common & (~common + 1));  // the largest power of two dividing every width
  if (requested == 0) return std::min<int64_t>(1024, widest);
  if (requested < 2 || (requested & (requested - 1)) != 0)
    fail("--hadamard-block ", requested, " is not a power of two of at least 2");
  if (widest % requested != 0)
    fail("--hadamard-block ", requested, " does not divide every matrix's input width (the largest that does: ", widest, ")");
  return requested;
}

void write_hadamard_metadata(gguf::Writer& writer, const std::vector<PlannedTensor>& plan, SyntheticArch arch,
                             uint64_t seed, int64_t block) {
  std::vector<std::string> rotated;
  std::set<uint64_t> widths;
  for (const PlannedTensor& t : plan) {
    if (t.kind != PlannedTensor::Kind::matrix) continue;
    widths.insert(t.dims[0]);
    if (t.name != "token_embd.weight") rotated.push_back(t.name);
  }
  std::mt19937_64 rng(seed ^ 0x4861646d61726421ull);  // "Hadmard!": signs independent of the weights' stream
  std::vector<int32_t> sign_widths, sign_values;
  for (uint64_t w : widths) {
    sign_widths.push_back(static_cast<int32_t>(w));
    for (uint64_t i = 0; i < w; ++i) sign_values.push_back(rng() & 1 ? 1 : -1);
  }
  using gguf::Value;
  writer.set("prism.hadamard.version", Value{uint32_t{1}});
  writer.set("prism.hadamard.block_size", Value{static_cast<uint32_t>(block)});
  writer.set("prism.hadamard.transform", Value{std::string("normalized-sylvester-walsh-hadamard")});
  writer.set("prism.hadamard.axis", Value{std::string("input-last-dimension")});
  writer.set("prism.hadamard.sign_mode", Value{std::string("explicit")});
  writer.set("prism.hadamard.weight_names", Value::of_strings(rotated));
  writer.set("prism.hadamard.sign_widths", Value::of_i32s(sign_widths));
  writer.set("prism.hadamard.sign_values", Value::of_i32s(sign_values));
  writer.set("prism.hadamard.inverse_weight_names", Value::of_strings({"token_embd.weight"}));
  if (arch == SyntheticArch::qwen35) writer.set("prism.hadamard.gdn_v_grouped", Value{true});
}

}  // namespace trit::tools
