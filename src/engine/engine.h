// The loaded model with everything needed to run it: weights, tokenizer, thread pool and the
// forward pass. Each sequence's memory (model/sequence_memory.h) is made per conversation by the caller.
#pragma once
#include <memory>
#include <string>

#include "kernels/attention.h"
#include "model/forward.h"
#include "model/sequence_memory.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"
#include "util/thread_pool.h"

namespace trit::engine {

struct EngineOptions {
  int threads = 0;             // 0: physical cores
  int64_t context = 4096;      // positions per sequence; 0: the model's training context
  kernels::KvTypes kv_types;  // K and V cache element types (f16 both by default)
  int64_t batch = 512;         // most prompt tokens per forward step
  kernels::ActivationPrecision activations = kernels::ActivationPrecision::int8;  // of ternary matmuls
};

class Engine {
 public:
  Engine(const std::string& model_path, const EngineOptions& options);

  const model::Model& model() const { return *model_; }
  const model::ModelConfig& config() const { return model_->config(); }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  ThreadPool& pool() { return *pool_; }
  model::ForwardPass& forward() { return *forward_; }
  const EngineOptions& options() const { return options_; }
  int64_t context() const { return options_.context; }

  // An empty memory for one sequence of context() positions, and its size in bytes.
  std::unique_ptr<model::SequenceMemory> new_sequence() const;
  // Memory of `capacity` positions in the engine's layout, without the check new_sequence() makes
  // (a prompt cache copy, bounded by its own budget).
  std::unique_ptr<model::SequenceMemory> new_memory(int64_t capacity) const;
  size_t sequence_bytes() const;
  // Its two parts: the KV cache of context() positions (trit serve's pool, which its slots share)
  // and the recurrent state each sequence holds beside it (hybrid models; 0 for dense ones).
  size_t kv_pool_bytes() const;
  size_t recurrent_state_bytes() const;
  // A pool of KV cache pages for context() positions shared by `sequences` sequences (trit serve's
  // slots: -c is the pool), checked against the memory available like new_sequence(); and a
  // sequence of up to `capacity` positions taking its pages from it.
  std::shared_ptr<model::KvPagePool> new_kv_pool(int sequences) const;
  std::unique_ptr<model::SequenceMemory> new_sequence(std::shared_ptr<model::KvPagePool> pool, int64_t capacity) const;
  // One line for start-up: threads, ISA, context and KV cache size.
  std::string describe() const;

 private:
  EngineOptions options_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<model::ForwardPass> forward_;
};

// Refuses (trit::Error, naming the sizes and the largest context that fits) a sequence whose memory
// would not fit in `available` bytes with some headroom, or a pool of context positions for
// `sequences` sequences (each with its recurrent state, for a hybrid model); Engine::new_sequence()
// and new_kv_pool() call it with the system's available memory.
void check_sequence_fits(const model::ForwardPass& forward, const EngineOptions& options, size_t available,
                         int sequences = 1);

}  // namespace trit::engine
