// The model's memory of one sequence, as the engine sees it: what generation, perplexity and bench
// need, whatever the model keeps per position: a KV cache (kv_cache.h), and for hybrid models also
// recurrent state (Gated DeltaNet layers, hybrid_memory.h), which folds every position into one
// fixed-size state. One interface, so the one generation loop (engine/sequence.h) drives both.
//
// Prefix reuse is "rewind to the shared prefix, feed the rest". A KV cache can rewind to any
// shorter length (its rows are per position); recurrent state cannot go back, except to the
// lengths where it took a checkpoint (a snapshot of the state, taken when checkpoint() is called)
// and to 0. rewind_point() says how far back a rewind can go, and the caller feeds the rest;
// engine/sequence.cpp is the one place that decides when to take checkpoints and where to rewind.
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/hidden_rows.h"

namespace trit::model {

class KvSequence;
class DeltaNetState;

class SequenceMemory {
 public:
  virtual ~SequenceMemory() = default;

  // Positions it can hold (the context), and positions fed so far.
  virtual int64_t capacity() const = 0;
  virtual int64_t length() const = 0;
  // Forgets positions from `length` on, keeping the prefix before it. False (nothing changed)
  // when the memory cannot go back there: a length past length(), or state that cannot rewind.
  [[nodiscard]] virtual bool rewind(int64_t length) = 0;
  // The longest length <= `length` that rewind() can go back to (never past length()).
  virtual int64_t rewind_point(int64_t length) const = 0;
  // Whether rewinding needs checkpoints (recurrent state); then checkpoint() snapshots the memory at
  // its current length, so that a later rewind() can return there. A no-op for a KV cache.
  virtual bool takes_checkpoints() const { return false; }
  virtual void checkpoint() {}
  // Speculative decoding (engine/sequence.h, draft_model.h): called before a forward over drafted
  // tokens. Memory that takes checkpoints keeps its state at the current length as the draft point
  // (one, replaced each time, apart from the checkpoints) so that rewind() can return there past
  // rejected drafts; the accepted ones are then fed again. A no-op for a KV cache, which rewinds
  // anywhere.
  virtual void keep_draft_point() {}
  // The same, one position later: the draft point is the state after the first token the next
  // forward feeds (a verification's known token before its drafts, which is always kept), taken by
  // that forward pass (draft_point_to_fill()). A draft refused from its first token then costs no
  // token fed again.
  virtual void keep_draft_point_after_next_token() {}
  // For the forward pass only, as it begins a step: where to copy the recurrent state after this
  // sequence's first token, when keep_draft_point_after_next_token() asked for it; else null.
  virtual DeltaNetState* draft_point_to_fill() { return nullptr; }
  // Whether copy_prefix() works: a KV cache can take another's rows; recurrent state cannot (it
  // holds no rows per position).
  virtual bool copies_prefix() const { return false; }
  // Makes this memory hold the first `length` positions of `from` (a memory of the same model and
  // layout), dropping its own; false (nothing changed) when it cannot. Far cheaper than feeding
  // them again: the scheduler shares a prompt's prefix between slots this way (n choices).
  [[nodiscard]] virtual bool copy_prefix(const SequenceMemory& /*from*/, int64_t /*length*/) { return false; }
  // Forgets every position; always possible.
  virtual void clear() = 0;
  virtual size_t bytes() const = 0;

  // For the forward pass only: the K/V rows of the attention layers (every layer of a Qwen3),
  // where it stores new positions and advances the length.
  virtual KvSequence& attention_cache() = 0;
  // The Gated DeltaNet layers' recurrent state (hybrid models, hybrid_memory.h); null for a model
  // without such layers.
  virtual DeltaNetState* delta_net_state() { return nullptr; }

  // The final hidden states of the newest positions, when a multi-token-prediction drafter keeps
  // them (hidden_rows.h); the forward pass writes them.
  HiddenRows& hidden_rows() { return hidden_rows_; }
  const HiddenRows& hidden_rows() const { return hidden_rows_; }

 private:
  HiddenRows hidden_rows_;
};

}  // namespace trit::model
