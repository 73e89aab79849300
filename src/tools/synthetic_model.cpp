// mkmodel: the layout below is copied from a real Ternary-Bonsai-format file (moby-tiny-Q2_0,
// /work/shared/models): metadata keys in this order with these value types, then the tensors
//   token_embd, output_norm, [output], then per block: attn_norm, attn_q, attn_k, attn_v,
//   attn_output, attn_q_norm, attn_k_norm, ffn_norm, ffn_gate, ffn_up, ffn_down
// with matrices in the chosen type and norms in F32, 32-byte alignment.
#include "tools/synthetic_model.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "formats/type_info.h"
#include "gguf/writer.h"
#include "tokenizer/vocab.h"
#include "tools/synthetic_weights.h"
#include "util/error.h"
#include "util/progress.h"

namespace trit::tools {
namespace {

constexpr int64_t kQwen3Vocab = 151936;

const std::vector<SyntheticPreset> kPresets = {
    // name   layers hidden  ffn   heads kv hd  ctx    vocab        tied
    {"tiny", 2, 256, 768, 4, 2, 64, 512, 0, true},
    {"0.6b", 28, 1024, 3072, 16, 8, 128, 40960, kQwen3Vocab, true},
    {"1.7b", 28, 2048, 6144, 16, 8, 128, 32768, kQwen3Vocab, true},
    {"4b", 36, 2560, 9728, 32, 8, 128, 32768, kQwen3Vocab, true},
    {"8b", 36, 4096, 12288, 32, 8, 128, 65536, kQwen3Vocab, false},
};

struct PlannedTensor {
  std::string name;
  std::vector<uint64_t> dims;  // dims[0] = row length
  bool matrix = false;         // false: an F32 norm vector
};

std::vector<PlannedTensor> plan_tensors(const SyntheticPreset& p, int64_t vocab) {
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t e = u(p.n_embd), q = u(p.n_head * p.head_dim), kv = u(p.n_head_kv * p.head_dim);
  const uint64_t ff = u(p.n_ff), hd = u(p.head_dim);
  std::vector<PlannedTensor> t = {{"token_embd.weight", {e, u(vocab)}, true}, {"output_norm.weight", {e}, false}};
  if (!p.tied) t.push_back({"output.weight", {e, u(vocab)}, true});
  for (int64_t l = 0; l < p.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    t.push_back({b + "attn_norm.weight", {e}, false});
    t.push_back({b + "attn_q.weight", {e, q}, true});
    t.push_back({b + "attn_k.weight", {e, kv}, true});
    t.push_back({b + "attn_v.weight", {e, kv}, true});
    t.push_back({b + "attn_output.weight", {q, e}, true});
    t.push_back({b + "attn_q_norm.weight", {hd}, false});
    t.push_back({b + "attn_k_norm.weight", {hd}, false});
    t.push_back({b + "ffn_norm.weight", {e}, false});
    t.push_back({b + "ffn_gate.weight", {e, ff}, true});
    t.push_back({b + "ffn_up.weight", {e, ff}, true});
    t.push_back({b + "ffn_down.weight", {ff, e}, true});
  }
  return t;
}

tokenizer::VocabData load_vocab(const SyntheticOptions& o, const SyntheticPreset& p) {
  if (!o.tokenizer_config.empty() && o.tokenizer_json.empty())
    fail("--tokenizer-config needs --tokenizer (the tokenizer.json it belongs to)");
  tokenizer::VocabData vocab;
  if (!o.tokenizer_json.empty()) {
    for (const std::string& f : {o.tokenizer_json, o.tokenizer_config})
      if (!f.empty() && !std::filesystem::is_regular_file(f)) fail(f, ": no such file");
    vocab = tokenizer::import_hf_tokenizer(o.tokenizer_json, o.tokenizer_config, p.vocab);
  } else {
    vocab = tokenizer::make_byte_vocab();
    // The real presets keep the real embedding size: pad with unused entries as the published
    // files do, so parameter counts and file sizes match.
    for (int64_t id = static_cast<int64_t>(vocab.tokens.size()); id < p.vocab; ++id) {
      vocab.tokens.push_back("[PAD" + std::to_string(id) + "]");
      vocab.token_types.push_back(tokenizer::kTokenUnused);
    }
  }
  if (p.vocab > 0 && static_cast<int64_t>(vocab.tokens.size()) != p.vocab)
    fail("the tokenizer has ", vocab.tokens.size(), " tokens; preset ", p.name, " needs at most ", p.vocab);
  if (vocab.tokens.empty()) fail("the tokenizer has no tokens");
  return vocab;
}

}  // namespace

const std::vector<SyntheticPreset>& all_presets() { return kPresets; }

const SyntheticPreset* find_preset(const std::string& name) {
  for (const SyntheticPreset& p : kPresets)
    if (name == p.name) return &p;
  return nullptr;
}

SyntheticResult make_synthetic_model(const SyntheticOptions& o) {
  const SyntheticPreset* preset = find_preset(o.preset);
  if (!preset) fail("unknown preset '", o.preset, "' (expected tiny, 0.6b, 1.7b, 4b or 8b)");
  const std::vector<std::string> types = formats::synthetic_type_names();
  if (std::find(types.begin(), types.end(), o.type) == types.end())
    fail("unknown type '", o.type, "' for mkmodel (expected one of ", formats::join_names(types), ")");
  const formats::TypeInfo& type = *formats::type_by_name(o.type);
  const formats::TypeInfo& f32 = *formats::type_by_format(formats::Format::f32);
  if (o.output.empty()) fail("no output file given (-o)");

  const tokenizer::VocabData vocab = load_vocab(o, *preset);
  const int64_t n_vocab = static_cast<int64_t>(vocab.tokens.size());
  const std::vector<PlannedTensor> plan = plan_tensors(*preset, n_vocab);

  gguf::Writer writer(o.output, o.overwrite);
  using gguf::Value;
  auto u32 = [](int64_t v) { return Value{static_cast<uint32_t>(v)}; };
  writer.set("general.architecture", Value{std::string("qwen3")});
  writer.set("general.name", Value{"Synthetic-Ternary-Bonsai-" + std::string(preset->name)});
  writer.set("general.alignment", Value{uint32_t{32}});
  writer.set("qwen3.block_count", u32(preset->n_layers));
  writer.set("qwen3.context_length", u32(preset->n_ctx));
  writer.set("qwen3.embedding_length", u32(preset->n_embd));
  writer.set("qwen3.feed_forward_length", u32(preset->n_ff));
  writer.set("qwen3.attention.head_count", u32(preset->n_head));
  writer.set("qwen3.attention.head_count_kv", u32(preset->n_head_kv));
  writer.set("qwen3.attention.key_length", u32(preset->head_dim));
  writer.set("qwen3.attention.value_length", u32(preset->head_dim));
  writer.set("qwen3.rope.freq_base", Value{1000000.0f});
  writer.set("qwen3.attention.layer_norm_rms_epsilon", Value{1e-6f});
  writer.set("general.file_type", Value{type.file_type});
  tokenizer::write_vocab(writer, vocab);

  SyntheticResult result;
  result.vocab = n_vocab;
  result.tensors = plan.size();
  for (const PlannedTensor& t : plan) {
    const formats::TypeInfo& tt = t.matrix ? type : f32;
    uint64_t elements = 1;
    for (uint64_t d : t.dims) elements *= d;
    uint64_t size = tt.bytes_for(elements);
    writer.add_tensor({t.name, t.dims, tt.ggml_id, size});
    result.parameters += elements;
    result.tensor_bytes += size;
  }
  writer.begin_data();

  std::unique_ptr<Progress> progress;
  if (o.progress) progress = std::make_unique<Progress>("mkmodel " + o.output, result.tensor_bytes);
  uint64_t done = 0;
  std::vector<uint8_t> buffer;
  constexpr uint64_t kChunkBytes = 4u << 20;  // bounded memory: about 4 MiB of rows at a time
  for (const PlannedTensor& t : plan) {
    if (!t.matrix) {
      std::vector<float> norm(t.dims[0]);
      fill_norm(o.seed, t.name, static_cast<int64_t>(t.dims[0]), norm.data());
      writer.write(norm.data(), norm.size() * sizeof(float));
      done += norm.size() * sizeof(float);
      continue;
    }
    const int64_t cols = static_cast<int64_t>(t.dims[0]), rows = static_cast<int64_t>(t.dims[1]);
    const uint64_t row_bytes = type.bytes_for(cols);
    const int64_t chunk_rows = static_cast<int64_t>(std::max<uint64_t>(1, kChunkBytes / row_bytes));
    buffer.resize(std::min<int64_t>(chunk_rows, rows) * row_bytes);
    MatrixGenerator gen(o.seed, t.name, cols, type);
    for (int64_t r = 0; r < rows; r += chunk_rows) {
      int64_t n = std::min(chunk_rows, rows - r);
      gen.next_rows(n, buffer.data());
      writer.write(buffer.data(), n * row_bytes);
      done += n * row_bytes;
      if (progress) progress->update(done);
    }
  }
  writer.finish();
  if (progress) progress->finish("done");
  result.file_bytes = std::filesystem::file_size(o.output);
  return result;
}

}  // namespace trit::tools
