#include "util/thread_pool.h"

#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace trit {
namespace {
inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}
// Workers poll for the next job this many times (pause is ~10-70 cycles, so well under a
// millisecond) before sleeping: long enough to span the gap between the matmuls of a decode step.
constexpr int kSpinIterations = 1 << 16;
// The caller polls for finished workers this many times before yielding its core: on a quiet
// machine the workers finish within the spin; on an oversubscribed one the yield lets a
// descheduled worker run instead of the caller burning its time slice.
constexpr int kWaitSpins = 1 << 12;

constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kActiveMask = kClosed - 1;
inline uint64_t generation_of(uint64_t state) { return state >> 32; }
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    state_.fetch_add(uint64_t{1} << 32);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_of(state_.load(std::memory_order_acquire)) == seen && spins < kSpinIterations) {
      cpu_relax();
      ++spins;
    }
    if (generation_of(state_.load(std::memory_order_acquire)) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_of(state_.load()) != seen; });
    }
    if (stop_.load()) return;
    // Claim the newest job unless its caller has closed it (late-join jobs only close).
    uint64_t s = state_.load(std::memory_order_acquire);
    seen = generation_of(s);
    bool claimed = false;
    while (generation_of(s) == seen && !(s & kClosed)) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
        claimed = true;
        break;
      }
    }
    if (!claimed) continue;
    const bool late_join = late_join_;
    (*job_)(index, n_threads_);
    if (!late_join) pending_.fetch_sub(1, std::memory_order_acq_rel);
    state_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::wait_until(const std::function<bool()>& done) const {
  for (int spins = 0; !done(); ++spins) {
    if (spins < kWaitSpins)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::post(const std::function<void(int, int)>& fn, bool late_join) {
  job_ = &fn;
  late_join_ = late_join;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t next = generation_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store(next << 32, std::memory_order_release);
  }
  wake_.notify_all();
}

void ThreadPool::run_on_all(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  post(fn, false);
  fn(0, n_threads_);
  wait_until([&] { return pending_.load(std::memory_order_acquire) == 0 &&
                          (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
}

void ThreadPool::parallel_chunks(size_t n, size_t chunk, const RangeFn& fn) {
  if (n == 0) return;
  if (chunk == 0) chunk = 1;
  const size_t chunks = (n + chunk - 1) / chunk;
  if (n_threads_ == 1 || chunks == 1) {
    fn(0, n, 0);
    return;
  }
  std::atomic<size_t> next{0};
  const std::function<void(int, int)> take = [&](int index, int) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < chunks;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      const size_t begin = i * chunk;
      fn(begin, begin + chunk < n ? begin + chunk : n, index);
    }
  };
  post(take, true);
  take(0, n_threads_);
  // Nothing is left to claim: close the job to late workers and wait for those already in it.
  state_.fetch_or(kClosed, std::memory_order_acq_rel);
  wait_until([&] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
}

void ThreadPool::parallel_for(size_t n, size_t grain, const RangeFn& fn) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  const size_t units = (n + grain - 1) / grain;
  if (n_threads_ == 1 || units == 1) {
    fn(0, n, 0);
    return;
  }
  // The size() ranges are claimed like chunks; a range keeps its own index whoever runs it.
  const size_t count = static_cast<size_t>(n_threads_);
  std::atomic<size_t> next{0};
  const std::function<void(int, int)> take = [&](int, int) {
    for (size_t r = next.fetch_add(1, std::memory_order_relaxed); r < count;
         r = next.fetch_add(1, std::memory_order_relaxed)) {
      const size_t begin = units * r / count * grain;
      size_t end = units * (r + 1) / count * grain;
      if (end > n) end = n;
      if (begin < end) fn(begin, end, static_cast<int>(r));
    }
  };
  post(take, true);
  take(0, n_threads_);
  state_.fetch_or(kClosed, std::memory_order_acq_rel);
  wait_until([&] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
}

int ThreadPool::default_threads() {
  // Count distinct (physical id, core id) pairs; SMT siblings share a core and a memory port.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, physical = "0";
  while (std::getline(cpuinfo, line)) {
    auto value = [&] { auto p = line.find(':'); return p == std::string::npos ? std::string() : line.substr(p + 1); };
    if (line.rfind("physical id", 0) == 0) physical = value();
    if (line.rfind("core id", 0) == 0) cores.emplace(physical, value());
  }
  int logical = static_cast<int>(std::thread::hardware_concurrency());
  int n = cores.empty() ? logical : static_cast<int>(cores.size());
  if (logical > 0 && n > logical) n = logical;
  return n < 1 ? 1 : n;
}

}  // namespace trit
