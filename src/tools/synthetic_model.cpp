// mkmodel's writer, shared by every architecture: the preset table, the vocab, the general keys,
// the tokenizer keys and the streaming of tensor data. What differs per architecture (the
// tensors and the architecture's keys) comes from its plan (tools/synthetic_plan.h). Files are
// 32-byte aligned, as the real ones.
#include "tools/synthetic_model.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "formats/type_info.h"
#include "gguf/writer.h"
#include "tokenizer/vocab.h"
#include "tools/primal_twin.h"
#include "tools/synthetic_plan.h"
#include "tools/synthetic_weights.h"
#include "util/error.h"
#include "util/progress.h"

namespace trit::tools {
namespace {

constexpr int64_t kQwen3Vocab = 151936;
constexpr int64_t kQwen35Vocab = 248320;
constexpr SyntheticArch Q3 = SyntheticArch::qwen3, Q35 = SyntheticArch::qwen35;

const std::vector<SyntheticPreset> kPresets = {
    // name  arch layers hidden  ffn  heads kv  hd rope k  v  state  ctx   vocab        tied
    {"tiny", Q3, 2, 256, 768, 4, 2, 64, 64, 0, 0, 0, 512, 0, true},
    {"0.6b", Q3, 28, 1024, 3072, 16, 8, 128, 128, 0, 0, 0, 40960, kQwen3Vocab, true},
    {"1.7b", Q3, 28, 2048, 6144, 16, 8, 128, 128, 0, 0, 0, 32768, kQwen3Vocab, true},
    {"4b", Q3, 36, 2560, 9728, 32, 8, 128, 128, 0, 0, 0, 32768, kQwen3Vocab, true},
    {"8b", Q3, 36, 4096, 12288, 32, 8, 128, 128, 0, 0, 0, 65536, kQwen3Vocab, false},
    // The Qwen3.5 hybrid: `qwen35-small` has the 27B's head layout and schedule at about 2 B
    // parameters; `27b` is the Bonsai 27B shape.
    {"qwen35-tiny", Q35, 8, 256, 512, 2, 1, 256, 64, 2, 6, 64, 4096, 0, false},
    {"qwen35-small", Q35, 16, 2048, 6144, 24, 4, 256, 64, 16, 48, 128, 262144, kQwen35Vocab, false},
    {"27b", Q35, 64, 5120, 17408, 24, 4, 256, 64, 16, 48, 128, 262144, kQwen35Vocab, false},
};

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

// One architecture's plan and keys (synthetic_plan.h).
struct ArchPlan {
  const char* name;  // general.architecture and the key prefix
  const char* pre;   // tokenizer.ggml.pre the fork expects for this architecture
  std::vector<PlannedTensor> (*plan)(const SyntheticPreset&, int64_t vocab);
  void (*metadata)(gguf::Writer&, const SyntheticPreset&, uint32_t file_type, int64_t mtp_layers);
};

const ArchPlan& arch_plan(SyntheticArch arch) {
  static const ArchPlan qwen3{"qwen3", "qwen2", plan_qwen3_tensors, write_qwen3_metadata};
  static const ArchPlan qwen35{"qwen35", "qwen35", plan_qwen35_tensors, write_qwen35_metadata};
  return arch == SyntheticArch::qwen35 ? qwen35 : qwen3;
}

// Everything decided before a byte is written: the checked options, the vocab and the plan.
struct Prepared {
  const SyntheticPreset* preset = nullptr;
  const ArchPlan* arch = nullptr;
  const formats::TypeInfo* type = nullptr;
  tokenizer::VocabData vocab;
  std::vector<PlannedTensor> plan;
  SyntheticResult result;  // all but file_bytes
};

const formats::TypeInfo& storage_type(const PlannedTensor& t, const formats::TypeInfo& matrix_type) {
  switch (t.kind) {
    case PlannedTensor::Kind::matrix: return matrix_type;
    case PlannedTensor::Kind::dense_bf16: return *formats::type_by_format(formats::Format::bf16);
    case PlannedTensor::Kind::f32_vector: break;
  }
  return *formats::type_by_format(formats::Format::f32);
}

uint64_t element_count(const PlannedTensor& t) {
  uint64_t elements = 1;
  for (uint64_t d : t.dims) elements *= d;
  return elements;
}

Prepared prepare(const SyntheticOptions& o) {
  Prepared p;
  p.preset = find_preset(o.preset);
  if (!p.preset) fail("unknown preset '", o.preset, "' (expected one of ", formats::join_names(preset_names()), ")");
  const std::vector<std::string> types = formats::synthetic_type_names();
  if (std::find(types.begin(), types.end(), o.type) == types.end())
    fail("unknown type '", o.type, "' for mkmodel (expected one of ", formats::join_names(types), ")");
  p.type = formats::type_by_name(o.type);
  p.arch = &arch_plan(p.preset->arch);
  p.vocab = load_vocab(o, *p.preset);
  p.vocab.pre = p.arch->pre;
  const int64_t n_vocab = static_cast<int64_t>(p.vocab.tokens.size());
  p.plan = p.arch->plan(*p.preset, n_vocab);
  if (o.mtp) {
    if (p.preset->arch != SyntheticArch::qwen35)
      fail("--mtp: preset ", p.preset->name, " is a Qwen3 model; multi-token-prediction blocks are written for qwen35 presets");
    if (o.hadamard) fail("--mtp with --hadamard is not supported (the rotation of an MTP block's weights is not defined)");
    add_qwen35_mtp_tensors(p.plan, *p.preset);
  }
  p.result.vocab = n_vocab;
  if (!o.primal_twin.empty() && !o.hadamard) fail("--primal-twin needs --hadamard (a file without rotation is its own twin)");
  if (o.hadamard_block != 0 && !o.hadamard) fail("--hadamard-block needs --hadamard");
  if (o.hadamard) p.result.hadamard_block = hadamard_block_for(p.plan, o.hadamard_block);
  p.result.tensors = p.plan.size();
  for (const PlannedTensor& t : p.plan) {
    const uint64_t elements = element_count(t);
    p.result.parameters += elements;
    p.result.tensor_bytes += storage_type(t, *p.type).bytes_for(elements);
  }
  return p;
}

// Streams one matrix in the file's type, a few MiB of rows at a time (bounded memory).
uint64_t write_matrix(gguf::Writer& writer, const PlannedTensor& t, const formats::TypeInfo& type, uint64_t seed,
                      Progress* progress, uint64_t done) {
  constexpr uint64_t kChunkBytes = 4u << 20;
  const int64_t cols = static_cast<int64_t>(t.dims[0]), rows = static_cast<int64_t>(t.dims[1]);
  const uint64_t row_bytes = type.bytes_for(cols);
  const int64_t chunk_rows = static_cast<int64_t>(std::max<uint64_t>(1, kChunkBytes / row_bytes));
  std::vector<uint8_t> buffer(std::min<int64_t>(chunk_rows, rows) * row_bytes);
  MatrixGenerator gen(seed, t.name, cols, type);
  for (int64_t r = 0; r < rows; r += chunk_rows) {
    const int64_t n = std::min(chunk_rows, rows - r);
    gen.next_rows(n, buffer.data());
    writer.write(buffer.data(), n * row_bytes);
    done += n * row_bytes;
    if (progress) progress->update(done);
  }
  return done;
}

}  // namespace

const std::vector<SyntheticPreset>& all_presets() { return kPresets; }

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const SyntheticPreset& p : kPresets) names.push_back(p.name);
  return names;
}

const SyntheticPreset* find_preset(const std::string& name) {
  for (const SyntheticPreset& p : kPresets)
    if (name == p.name) return &p;
  return nullptr;
}

SyntheticResult describe_synthetic_model(const SyntheticOptions& options) { return prepare(options).result; }

SyntheticResult make_synthetic_model(const SyntheticOptions& o) {
  Prepared p = prepare(o);
  if (o.output.empty()) fail("no output file given (-o)");
  const formats::TypeInfo& type = *p.type;

  gguf::Writer writer(o.output, o.overwrite);
  using gguf::Value;
  writer.set("general.architecture", Value{std::string(p.arch->name)});
  writer.set("general.name", Value{"Synthetic-Ternary-Bonsai-" + std::string(p.preset->name)});
  writer.set("general.alignment", Value{uint32_t{32}});
  p.arch->metadata(writer, *p.preset, type.file_type, o.mtp ? 1 : 0);
  if (o.hadamard) write_hadamard_metadata(writer, p.plan, p.preset->arch, o.seed, p.result.hadamard_block);
  tokenizer::write_vocab(writer, p.vocab);
  for (const PlannedTensor& t : p.plan) {
    const formats::TypeInfo& tt = storage_type(t, type);
    writer.add_tensor({t.name, t.dims, tt.ggml_id, tt.bytes_for(element_count(t))});
  }
  writer.begin_data();

  std::unique_ptr<Progress> progress;
  if (o.progress) progress = std::make_unique<Progress>("mkmodel " + o.output, p.result.tensor_bytes);
  uint64_t done = 0;
  for (const PlannedTensor& t : p.plan) {
    const int64_t n = static_cast<int64_t>(element_count(t));
    switch (t.kind) {
      case PlannedTensor::Kind::matrix:
        done = write_matrix(writer, t, type, o.seed, progress.get(), done);
        break;
      case PlannedTensor::Kind::dense_bf16: {
        std::vector<uint16_t> values(n);
        fill_dense_bf16(o.seed, t.name, static_cast<int64_t>(t.dims[0]), static_cast<int64_t>(t.dims[1]), values.data());
        writer.write(values.data(), values.size() * sizeof(uint16_t));
        done += values.size() * sizeof(uint16_t);
        break;
      }
      case PlannedTensor::Kind::f32_vector: {
        std::vector<float> values(n);
        t.fill(o.seed, t.name, n, values.data());
        writer.write(values.data(), values.size() * sizeof(float));
        done += values.size() * sizeof(float);
        break;
      }
    }
  }
  writer.finish();
  if (progress) progress->finish("done");
  if (!o.primal_twin.empty()) write_primal_twin(o.output, o.primal_twin, o.overwrite);
  SyntheticResult result = p.result;
  result.file_bytes = std::filesystem::file_size(o.output);
  return result;
}

}  // namespace trit::tools
