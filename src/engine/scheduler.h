// Continuous batching: N slots share one forward pass per step.
//
// Each step is ONE ForwardPass::run carrying (a) the one unfed token of every decoding slot and
// (b) chunks of prompts still being fed, at most `prefill_chunk` prompt tokens in total while any
// slot is decoding (so a newcomer's long prompt delays running streams by one bounded chunk per
// step), or up to the engine's batch size (-b) when nothing decodes. The weights are read once per
// step for everyone. Requests wait in a bounded FIFO queue and join between steps, each taking the
// idle slot whose cache shares the longest prefix with its prompt (follow-up turns of a chat
// reuse their earlier prompt and answer), else the least recently used one. A KV cache can also
// take another slot's rows: a request whose prompt shares a long prefix with what a busy slot
// holds copies those rows instead of feeding them again, and waits at the head of the queue while
// a slot is still feeding that prefix (so the n choices of one prompt compute it once).
//
// Context and slots: the KV caches of all slots take their pages from one pool of the engine's
// context (-c) positions (model/kv_pool.h), so -c bounds what all slots hold together; one
// request's prompt plus answer may use up to context_per_slot of it (default: all of it). Idle
// slots keep their pages for prefix reuse until the pool runs short: then the least recently used
// idle slot gives them back (into the RAM prompt cache first, when there is one). Slots that share
// a prompt prefix share its pages (copy-on-write). A request whose prompt needs more pages than
// the pool can free waits at the head of the queue while other requests run, and fails with a
// message when nothing runs; a generation that finds the pool full fails likewise.
//
// Each row of a step is computed as if its sequence ran alone (row-independent kernels), so at
// temperature 0 a request's output does not depend on what else is running.
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/scheduler_request.h"
#include "engine/prompt_cache.h"
#include "engine/slot.h"

namespace trit::engine {

struct SchedulerOptions {
  int slots = 4;                // sequences decoded together
  int queue_limit = 64;         // requests waiting for a busy slot; more are refused (0: none wait)
  int64_t prefill_chunk = 128;  // most prompt tokens per step while other slots decode
  SpeculationOptions speculation;  // every request's drafts (trit serve --spec)
  size_t prompt_cache_bytes = 0;   // RAM for sequences a slot moved on from (0: none kept)
  int64_t context_per_slot = 0;    // most positions one request may use (0: the whole pool, -c)
};

// Counters for /metrics. Totals since start; the rest is the state after the latest step.
struct SchedulerMetrics {
  int64_t requests_total = 0;      // accepted
  int64_t requests_rejected = 0;   // refused because the queue was full
  int64_t requests_cancelled = 0;
  int64_t prompt_tokens_total = 0;
  int64_t prompt_tokens_cached = 0;  // reused from slot caches
  int64_t prompt_tokens_computed = 0;  // fed through the model
  int64_t generated_tokens_total = 0;
  int64_t steps_total = 0;
  double busy_seconds = 0.0;       // time spent in forward steps
  double decode_tokens_per_second = 0.0;  // sampled tokens / step time, over recent steps
  int queue_length = 0;
  int slots_busy = 0;
  int slots = 0;
  int64_t kv_positions_used = 0;   // cached positions over all slots
  int64_t kv_positions_total = 0;  // the pool's positions (-c rounded up to whole pages)
  int64_t kv_pages_used = 0;       // pages of the pool held by slots (a shared page counts once)
  int64_t kv_pages_total = 0;
  int64_t kv_page_positions = 0;   // positions per page
  int64_t kv_pool_bytes = 0;       // the pool's storage (resident as far as pages were written)
  int64_t kv_pool_full_failures = 0;  // generations ended because the pool had no page left
  int64_t draft_tokens_total = 0;     // speculative decoding, finished requests: tokens drafted
  int64_t draft_accepted_total = 0;   // and of those accepted
  int64_t prompt_cache_hits = 0;      // requests that took their prefix from the RAM prompt cache
  int64_t prompt_cache_entries = 0;   // sequences it holds now
  int64_t prompt_cache_bytes = 0;     // and their memory
};

class Scheduler {
 public:
  Scheduler(Engine& engine, const SchedulerOptions& options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request; nullptr when the queue is full. Fails (trit::Error) on a request that can
  // never run: an empty prompt, one that does not fit the context, token ids out of range.
  std::shared_ptr<RequestHandle> submit(ScheduledRequest request);

  SchedulerMetrics metrics() const;
  // Every slot's state as of the scheduler's latest change (any thread).
  std::vector<SlotState> slot_states() const;
  // The options in force: prompt_cache_bytes at most half the memory the slots leave.
  const SchedulerOptions& options() const { return options_; }
  // Whether sequences a slot moves on from are kept in RAM (--cache-ram; memory that can copy a prefix).
  bool keeps_prompts() const { return prompt_cache_ != nullptr; }
  // The most positions one request may use (its prompt plus answer).
  int64_t context() const { return options_.context_per_slot; }

 private:
  struct Queued {
    std::shared_ptr<RequestHandle> handle;
    Timer waiting;
  };
  void cap_prompt_cache();  // in the constructor, before the slots take their memory
  void loop();
  void admit();
  void step();
  void update_metrics(double seconds, int64_t sampled, int64_t prompt_fed);
  void count_idle_locked();  // refreshes idle_slots_ and slot_states_; needs mutex_
  // Before `target` (idle, holding `cached` tokens of `prompt`) takes a request: copies a longer
  // prefix of the prompt from another slot's memory (the n choices of one prompt, a shared
  // system prompt) or from the prompt cache, or returns false when a slot still feeding that
  // prefix should finish first (the request then waits at the head of the queue). Memory that
  // cannot copy is never asked.
  bool share_prefix(Slot& target, size_t cached, const std::vector<int32_t>& prompt);
  // Before `slot` takes a prompt it shares only `kept` tokens with: copies what it holds into the
  // prompt cache, if there is one and more than a few tokens would be lost.
  void keep_in_prompt_cache(const Slot& slot, size_t kept);
  // Frees pages until `pages` are free, taking them from idle slots other than `spare`, least
  // recently used first (each kept in the prompt cache first). Whether that many are free now.
  bool free_pages(int64_t pages, const Slot* spare);
  // Pages the pool can give now: free ones and those idle slots other than `spare` hold alone.
  int64_t pages_available(const Slot* spare) const;
  // Reserves the pages of every step's positions before the forward pass; a slot that cannot get
  // its pages even after freeing idle slots' ends with an error and leaves the step.
  void reserve_pages(std::vector<model::SequenceStep>& steps, std::vector<Slot*>& stepped, std::vector<bool>& completes);

  Engine& engine_;
  SchedulerOptions options_;
  std::shared_ptr<model::KvPagePool> pool_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<PromptCache> prompt_cache_;  // null: --cache-ram 0
  uint64_t tick_ = 0;

  mutable std::mutex mutex_;  // guards queue_, stop_ and metrics_
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  bool stop_ = false;
  int idle_slots_ = 0;  // slots without a request, as of the scheduler's latest change
  SchedulerMetrics metrics_;
  std::vector<SlotState> slot_states_;  // copies for slot_states()
  double recent_tokens_ = 0.0, recent_seconds_ = 0.0;  // decayed sums for the tokens/s gauge

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace trit::engine
