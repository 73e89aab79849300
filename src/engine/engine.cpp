#include "engine/engine.h"

#include "kernels/kernel_set.h"
#include "model/hybrid_memory.h"
#include "util/error.h"
#include "util/memory_info.h"
#include "util/log.h"

namespace trit::engine {

Engine::Engine(const std::string& model_path, const EngineOptions& options) : options_(options) {
  if (options_.threads < 0) fail("thread count must be positive, got ", options_.threads);
  if (options_.context < 0) fail("context size must be positive, got ", options_.context);
  if (options_.batch <= 0) fail("batch size must be positive, got ", options_.batch);
  if (options_.threads == 0) options_.threads = ThreadPool::default_threads();
  model_ = model::Model::load(model_path, options_.activations);
  tokenizer_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_gguf(model_->file()));
  if (static_cast<int64_t>(tokenizer_->vocab_size()) > model_->config().n_vocab)
    fail(model_path, ": the tokenizer has ", tokenizer_->vocab_size(), " tokens but the embedding only ",
         model_->config().n_vocab, " rows");
  if (options_.context == 0) options_.context = model_->config().n_ctx_train;
  // Positions past the trained context get RoPE angles the model never saw: output degrades.
  if (model_->config().n_ctx_train > 0 && options_.context > model_->config().n_ctx_train)
    log_warn(cat("context ", options_.context, " is larger than the ", model_->config().n_ctx_train,
                 " tokens the model was trained on; expect worse output past that"));
  pool_ = std::make_unique<ThreadPool>(options_.threads);
  forward_ = std::make_unique<model::ForwardPass>(*model_, *pool_);
}

std::unique_ptr<model::SequenceMemory> Engine::new_sequence() const {
  // Checked per sequence against what is still available, so the slots of a server (each made
  // here in turn) are refused at the first that does not fit.
  if (const std::optional<size_t> available = available_memory_bytes())
    check_sequence_fits(*forward_, options_, *available);
  return forward_->new_memory(options_.context, options_.kv_types);
}

void check_sequence_fits(const model::ForwardPass& forward, const EngineOptions& options, size_t available, int sequences) {
  // The KV cache grows in pages of kKvPagePositions positions; a hybrid model adds a fixed
  // recurrent state (and its checkpoints) per sequence.
  constexpr int64_t page = kernels::kKvPagePositions;
  const size_t per_page = forward.memory_bytes(page + 1, options.kv_types) - forward.memory_bytes(page, options.kv_types);
  const size_t per_sequence = forward.memory_bytes(page, options.kv_types) - per_page;
  const size_t pages = static_cast<size_t>(model::KvPagePool::pages_for(options.context));
  const size_t fixed = per_sequence * static_cast<size_t>(sequences);
  const size_t need = pages * per_page + fixed;
  // Headroom for the activations and the allocator; the rest may hold sequence memory.
  const size_t usable = available - std::min(available, available / 20);
  if (need <= usable) return;
  const int64_t fits = usable > fixed && per_page > 0 ? static_cast<int64_t>((usable - fixed) / per_page) * page : 0;
  const double mib = 1024.0 * 1024.0;
  fail(sequences == 1 ? cat("a sequence of context ", options.context)
                      : cat("a KV cache pool of ", options.context, " positions for ", sequences, " sequences"),
       " needs ", static_cast<int64_t>(need / mib), " MiB (", per_page / 1024.0 / page, " KiB per position",
       fixed > 0 ? cat(" + ", static_cast<int64_t>(fixed / mib), " MiB of recurrent state") : std::string(),
       "), but only ", static_cast<int64_t>(available / mib),
       " MiB of memory is available: lower -c (at most about ", fits, " fits now)",
       options.kv_types.k == kernels::KvType::q4_0 && options.kv_types.v == kernels::KvType::q4_0
           ? ""
           : ", use a smaller KV cache type (-ctk/-ctv q8_0 or q4_0)",
       sequences > 1 ? " or run fewer sequences (trit serve --parallel)" : "");
}

std::shared_ptr<model::KvPagePool> Engine::new_kv_pool(int sequences) const {
  if (const std::optional<size_t> available = available_memory_bytes())
    check_sequence_fits(*forward_, options_, *available, sequences);
  return std::make_shared<model::KvPagePool>(config(), options_.context, options_.kv_types);
}

std::unique_ptr<model::SequenceMemory> Engine::new_sequence(std::shared_ptr<model::KvPagePool> pool, int64_t capacity) const {
  return forward_->new_memory(std::move(pool), capacity);
}

std::unique_ptr<model::SequenceMemory> Engine::new_memory(int64_t capacity) const {
  return forward_->new_memory(capacity, options_.kv_types);
}

size_t Engine::sequence_bytes() const { return forward_->memory_bytes(options_.context, options_.kv_types); }

size_t Engine::kv_pool_bytes() const { return model::KvSequence::bytes_for(config(), options_.context, options_.kv_types); }

size_t Engine::recurrent_state_bytes() const { return sequence_bytes() - kv_pool_bytes(); }

std::string Engine::describe() const {
  const model::ModelConfig& c = config();
  const double mib = 1024.0 * 1024.0;
  const double kv_mib = kv_pool_bytes() / mib;
  char state[128] = "";
  if (c.n_delta_net_layers() > 0)
    std::snprintf(state, sizeof state, " + recurrent state %.1f MiB (and up to %zu checkpoints of it)",
                  model::DeltaNetState::bytes_for(c) / mib, model::HybridSequence::kMaxCheckpoints);
  char rotation[96] = "";
  if (const auto& r = model_->rotation())
    std::snprintf(rotation, sizeof rotation, ", Hadamard rotation (block %lld) before %zu weights",
                  static_cast<long long>(r->block), r->rotated.size());
  char line[400];
  std::snprintf(line, sizeof line, "threads %d, kernels %s, context %lld, KV cache %s %.1f MiB%s per sequence%s%s",
                options_.threads, kernels::active_kernel_set().description, static_cast<long long>(options_.context),
                kernels::kv_types_name(options_.kv_types).c_str(), kv_mib, state,
                options_.activations == kernels::ActivationPrecision::int8x2 ? ", activations int8x2" : "", rotation);
  return line;
}

}  // namespace trit::engine
