#include "engine/scheduler.h"

#include <algorithm>
#include <optional>

#include "util/error.h"
#include "util/log.h"
#include "util/memory_info.h"

namespace trit::engine {

Scheduler::Scheduler(Engine& engine, const SchedulerOptions& options) : engine_(engine), options_(options) {
  if (options_.slots <= 0) fail("the number of slots must be positive, got ", options_.slots);
  if (options_.queue_limit < 0) fail("the queue limit must not be negative, got ", options_.queue_limit);
  if (options_.prefill_chunk <= 0) fail("the prefill chunk must be positive, got ", options_.prefill_chunk);
  if (options_.context_per_slot < 0) fail("the context per slot must not be negative, got ", options_.context_per_slot);
  if (options_.context_per_slot > engine_.context())
    fail("the context per slot (", options_.context_per_slot, ") is larger than the KV pool of ", engine_.context(),
         " positions (-c) it is taken from");
  if (options_.context_per_slot == 0) options_.context_per_slot = engine_.context();
  cap_prompt_cache();
  pool_ = engine_.new_kv_pool(options_.slots);
  for (int i = 0; i < options_.slots; ++i)
    slots_.push_back(std::make_unique<Slot>(i, engine_.new_sequence(pool_, options_.context_per_slot), engine_.tokenizer()));
  if (options_.prompt_cache_bytes > 0 && slots_.front()->memory().copies_prefix())
    prompt_cache_ = std::make_unique<PromptCache>(options_.prompt_cache_bytes,
                                                  [this](int64_t capacity) { return engine_.new_memory(capacity); });
  metrics_.slots = options_.slots;
  idle_slots_ = options_.slots;
  metrics_.kv_pages_total = pool_->pages_total();
  metrics_.kv_page_positions = kernels::kKvPagePositions;
  metrics_.kv_pool_bytes = static_cast<int64_t>(pool_->bytes());
  metrics_.kv_positions_total = pool_->pages_total() * kernels::kKvPagePositions;
  for (auto& slot : slots_) slot_states_.push_back(slot->state());
  thread_ = std::thread([this] { loop(); });
}

// The prompt cache takes at most half of what the slots will leave of the memory available now
// (measured before the slots take theirs).
void Scheduler::cap_prompt_cache() {
  if (options_.prompt_cache_bytes == 0) return;
  const std::optional<size_t> available = available_memory_bytes();
  if (!available) return;
  // The pool of -c positions, and each slot's recurrent state (hybrid models).
  const size_t slots_bytes = engine_.kv_pool_bytes() + engine_.recurrent_state_bytes() * static_cast<size_t>(options_.slots);
  const size_t cap = *available > slots_bytes ? (*available - slots_bytes) / 2 : 0;
  if (options_.prompt_cache_bytes <= cap) return;
  log_warn(cat("a prompt cache of ", options_.prompt_cache_bytes >> 20,
               " MiB is more than half the memory the slots leave; using ", cap >> 20, " MiB"));
  options_.prompt_cache_bytes = cap;
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<RequestHandle> Scheduler::submit(ScheduledRequest request) {
  check_prompt(request.prompt, options_.context_per_slot, engine_.config().n_vocab);

  auto handle = std::make_shared<RequestHandle>(std::move(request));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Waiting room: the queue plus the slots that are free right now (a request for a free slot
    // passes through the queue for a moment).
    if (static_cast<int>(queue_.size()) >= options_.queue_limit + idle_slots_) {
      ++metrics_.requests_rejected;
      return nullptr;
    }
    queue_.push_back({handle, Timer()});
    ++metrics_.requests_total;
    metrics_.prompt_tokens_total += static_cast<int64_t>(handle->request().prompt.size());
    metrics_.queue_length = static_cast<int>(queue_.size());
  }
  wake_.notify_all();
  return handle;
}

SchedulerMetrics Scheduler::metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return metrics_;
}

std::vector<SlotState> Scheduler::slot_states() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slot_states_;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Slots are touched by this thread only, so reading them here is safe.
      auto any_busy = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->busy(); });
      };
      wake_.wait(lock, [&] { return stop_ || !queue_.empty() || any_busy(); });
      if (stop_) break;
    }
    admit();
    step();
  }
  // Shutting down: end whatever is running or waiting.
  for (auto& slot : slots_) slot->finish(StopReason::cancelled, "the server is shutting down");
  std::lock_guard<std::mutex> lock(mutex_);
  for (Queued& q : queue_) {
    RequestResult result;
    result.reason = StopReason::cancelled;
    result.error = "the server is shutting down";
    q.handle->finish(result);
  }
  queue_.clear();
}

void Scheduler::admit() {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!queue_.empty()) {
    Queued& front = queue_.front();
    if (front.handle->cancelled()) {
      RequestResult result;
      result.reason = StopReason::cancelled;
      result.prompt_tokens = static_cast<int64_t>(front.handle->request().prompt.size());
      ++metrics_.requests_cancelled;
      front.handle->finish(result);
      queue_.pop_front();
      continue;
    }
    // The idle slot sharing the longest prefix with the prompt; ties go to the least recently used.
    Slot* best = nullptr;
    size_t best_prefix = 0;
    for (auto& slot : slots_) {
      if (slot->busy()) continue;
      const size_t prefix = slot->cached_prefix(front.handle->request().prompt);
      if (!best || prefix > best_prefix || (prefix == best_prefix && slot->last_used() < best->last_used())) {
        best = slot.get();
        best_prefix = prefix;
      }
    }
    if (!best) break;
    const std::vector<int32_t>& prompt = front.handle->request().prompt;
    if (best->memory().copies_prefix()) {
      keep_in_prompt_cache(*best, best_prefix);
      if (!share_prefix(*best, best_prefix, prompt)) break;
    }
    // Pages for the prompt past what the slot keeps; those that prompts already running will take
    // are spoken for. Short of them, the request waits while others run (their pages come back).
    const int64_t kept = best->memory().rewind_point(static_cast<int64_t>(best->cached_prefix(prompt)));
    const int64_t need = model::KvPagePool::pages_for(static_cast<int64_t>(prompt.size())) - kept / kernels::kKvPagePositions;
    int64_t promised = 0;
    bool any_busy = false;
    for (const auto& slot : slots_) {
      if (!slot->busy()) continue;
      any_busy = true;
      if (slot->prefilling())
        promised += std::max<int64_t>(0, model::KvPagePool::pages_for(static_cast<int64_t>(slot->prompt().size())) -
                                             slot->memory().attention_cache().pages_held());
    }
    if (any_busy && need > pages_available(best) - promised) break;
    (void)free_pages(need, best);  // the rest comes from running slots as they end
    best->start(front.handle, front.waiting.seconds(), ++tick_, options_.speculation);
    metrics_.prompt_tokens_cached += best->memory().length();
    queue_.pop_front();
  }
  metrics_.queue_length = static_cast<int>(queue_.size());
  count_idle_locked();
}

bool Scheduler::share_prefix(Slot& target, size_t cached, const std::vector<int32_t>& prompt) {
  // Below this many tokens, feeding them is as cheap as waiting or copying.
  constexpr size_t kMinShared = 16;
  Slot* source = nullptr;
  size_t source_prefix = cached;
  size_t coming = 0;  // the longest prefix a slot still feeding its prompt will hold
  for (auto& slot : slots_) {
    if (slot.get() == &target) continue;
    const size_t have = slot->cached_prefix(prompt);
    if (have > source_prefix) {
      source = slot.get();
      source_prefix = have;
    }
    if (slot->prefilling()) {
      const std::span<const int32_t> other = slot->prompt();
      size_t shared = 0;
      while (shared < other.size() && shared < prompt.size() && other[shared] == prompt[shared]) ++shared;
      coming = std::max(coming, shared);
    }
  }
  PromptCache::Match kept;
  if (prompt_cache_) kept = prompt_cache_->longest_prefix(prompt);
  if (coming >= std::max({cached, source_prefix, kept.length}) + kMinShared) return false;  // wait for that prefill
  if (kept.length > source_prefix && kept.length >= cached + kMinShared) {
    if (target.copy_prefix(kept)) ++metrics_.prompt_cache_hits;
  } else if (source && source_prefix >= cached + kMinShared) {
    (void)target.copy_prefix(*source, source_prefix);
  }
  return true;
}

void Scheduler::keep_in_prompt_cache(const Slot& slot, size_t kept) {
  constexpr size_t kMinKept = 16;  // fewer tokens are as cheap to feed again
  if (!prompt_cache_) return;
  const std::span<const int32_t> held = slot.held_tokens();
  if (held.size() < kept + kMinKept) return;
  prompt_cache_->keep(held, slot.memory());
  metrics_.prompt_cache_entries = static_cast<int64_t>(prompt_cache_->entries());
  metrics_.prompt_cache_bytes = static_cast<int64_t>(prompt_cache_->bytes());
}

int64_t Scheduler::pages_available(const Slot* spare) const {
  int64_t pages = pool_->pages_free();
  for (const auto& slot : slots_)
    if (!slot->busy() && slot.get() != spare) pages += slot->memory().attention_cache().pages_held_alone();
  return pages;
}

bool Scheduler::free_pages(int64_t pages, const Slot* spare) {
  if (pool_->pages_free() >= pages) return true;
  std::vector<Slot*> idle;
  for (auto& slot : slots_)
    if (!slot->busy() && slot.get() != spare && slot->memory().attention_cache().pages_held() > 0) idle.push_back(slot.get());
  std::sort(idle.begin(), idle.end(), [](Slot* a, Slot* b) { return a->last_used() < b->last_used(); });
  for (Slot* slot : idle) {
    keep_in_prompt_cache(*slot, 0);
    slot->forget();
    if (pool_->pages_free() >= pages) return true;
  }
  return false;
}

void Scheduler::reserve_pages(std::vector<model::SequenceStep>& steps, std::vector<Slot*>& stepped,
                              std::vector<bool>& completes) {
  for (size_t i = 0; i < steps.size();) {
    model::KvSequence& cache = steps[i].memory->attention_cache();
    const int64_t length = cache.length() + static_cast<int64_t>(steps[i].tokens.size());
    if (cache.reserve(length) || (free_pages(cache.pages_needed(length), nullptr) && cache.reserve(length))) {
      ++i;
      continue;
    }
    const std::string error = pool_->full_message(cache.pages_needed(length));
    log_warn(cat("slot ", stepped[i]->id(), ": ", error));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stepped[i]->finish(StopReason::failed, error);
      ++metrics_.kv_pool_full_failures;
      count_idle_locked();
    }
    steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(i));
    stepped.erase(stepped.begin() + static_cast<std::ptrdiff_t>(i));
    completes.erase(completes.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void Scheduler::count_idle_locked() {
  idle_slots_ = static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [](const auto& s) { return !s->busy(); }));
  metrics_.slots_busy = options_.slots - idle_slots_;
  for (size_t i = 0; i < slots_.size(); ++i) slot_states_[i] = slots_[i]->state();
}

void Scheduler::step() {
  for (auto& slot : slots_)
    if (slot->busy() && slot->cancel_requested()) {
      // Under the lock, so whoever sees the request end also sees the counters updated.
      std::lock_guard<std::mutex> lock(mutex_);
      slot->finish(StopReason::cancelled);
      ++metrics_.requests_cancelled;
      count_idle_locked();
    }

  // Decoding slots first (one token each), then prompt chunks within the prefill budget, oldest
  // request first.
  std::vector<Slot*> order;
  for (auto& slot : slots_)
    if (slot->busy() && !slot->prefilling()) order.push_back(slot.get());
  const bool decoding = !order.empty();
  std::vector<Slot*> prefilling;
  for (auto& slot : slots_)
    if (slot->prefilling()) prefilling.push_back(slot.get());
  std::sort(prefilling.begin(), prefilling.end(), [](Slot* a, Slot* b) { return a->last_used() < b->last_used(); });

  std::vector<model::SequenceStep> steps;
  std::vector<Slot*> stepped;
  std::vector<bool> completes;
  int64_t prompt_fed = 0;
  for (Slot* slot : order) {
    // One token, or with speculation that token and its drafts (a logits row each).
    auto input = slot->next_input(1 + kMaxDraftTokens);
    steps.push_back({&slot->memory(), input, slot->verifying()});
    stepped.push_back(slot);
    completes.push_back(slot->completes(static_cast<int64_t>(input.size())));
  }
  int64_t budget = decoding ? options_.prefill_chunk : engine_.options().batch;
  for (Slot* slot : prefilling) {
    if (budget <= 0) break;
    auto input = slot->next_input(budget);
    if (input.empty()) continue;
    budget -= static_cast<int64_t>(input.size());
    steps.push_back({&slot->memory(), input, false});
    stepped.push_back(slot);
    completes.push_back(slot->completes(static_cast<int64_t>(input.size())));
  }
  reserve_pages(steps, stepped, completes);
  for (size_t i = 0; i < steps.size(); ++i)
    if (stepped[i]->prefilling()) prompt_fed += static_cast<int64_t>(steps[i].tokens.size());
  if (steps.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    count_idle_locked();
    return;
  }

  Timer timer;
  const std::vector<float>* logits = nullptr;
  try {
    logits = &engine_.forward().run(steps);
  } catch (const std::exception& e) {
    log_warn(cat("forward step failed: ", e.what()));
    for (Slot* slot : stepped) slot->finish(StopReason::failed, e.what());
    std::lock_guard<std::mutex> lock(mutex_);
    count_idle_locked();
    return;
  }
  const size_t n_vocab = static_cast<size_t>(engine_.config().n_vocab);
  int64_t sampled = 0;
  size_t row = 0;  // each step's first logits row
  for (size_t i = 0; i < stepped.size(); ++i) {
    const size_t rows = steps[i].all_logits ? steps[i].tokens.size() : 1;
    if (completes[i]) sampled += stepped[i]->sample(std::span<const float>(logits->data() + row * n_vocab, rows * n_vocab), n_vocab);
    row += rows;
  }
  update_metrics(timer.seconds(), sampled, prompt_fed);
}

void Scheduler::update_metrics(double seconds, int64_t sampled, int64_t prompt_fed) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++metrics_.steps_total;
  metrics_.busy_seconds += seconds;
  metrics_.generated_tokens_total += sampled;
  metrics_.prompt_tokens_computed += prompt_fed;
  // A decayed average over roughly the last 20 decode steps; prompt-only steps do not count.
  if (sampled > 0) {
    constexpr double kDecay = 0.95;
    recent_tokens_ = recent_tokens_ * kDecay + static_cast<double>(sampled);
    recent_seconds_ = recent_seconds_ * kDecay + seconds;
    metrics_.decode_tokens_per_second = recent_seconds_ > 0 ? recent_tokens_ / recent_seconds_ : 0.0;
  }
  int busy = 0;
  int64_t used = 0;
  for (auto& slot : slots_) {
    busy += slot->busy() ? 1 : 0;
    used += slot->memory().length();
  }
  metrics_.slots_busy = busy;
  idle_slots_ = options_.slots - busy;
  metrics_.kv_positions_used = used;
  metrics_.kv_pages_used = pool_->pages_used();
  metrics_.draft_tokens_total = 0;
  metrics_.draft_accepted_total = 0;
  for (auto& slot : slots_) {
    metrics_.draft_tokens_total += slot->drafted_total();
    metrics_.draft_accepted_total += slot->accepted_total();
  }
  for (size_t i = 0; i < slots_.size(); ++i) slot_states_[i] = slots_[i]->state();
}

}  // namespace trit::engine
