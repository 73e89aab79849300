// A persistent pool of worker threads.
//
// parallel_for and parallel_chunks are "late-join" jobs: the calling thread starts on the work at
// once and workers join as they wake; work nobody has claimed when the caller runs out is done by
// the caller, and workers that arrive after the caller has finished skip the job. So a worker the
// OS has descheduled (a busy machine) never stalls a matmul, while on a quiet machine both cores
// share every job. run_on_all instead waits until every thread has run fn once.
// Workers spin briefly between jobs (a decode step issues hundreds of short jobs) and then sleep
// on a condition variable; the caller spins, then yields, while it waits.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trit {

class ThreadPool {
 public:
  // fn(begin, end, index) handles items [begin, end).
  using RangeFn = std::function<void(size_t, size_t, int)>;

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Splits n items into size() contiguous ranges whose boundaries are multiples of `grain`
  // (except the end) and runs each once, with index = the range's number in [0, size()). Two
  // ranges with different indices may run one after the other on the same OS thread, never
  // concurrently with the same index, so per-index scratch space is safe.
  void parallel_for(size_t n, size_t grain, const RangeFn& fn);
  // Calls fn on chunks [i * chunk, min(n, (i + 1) * chunk)), each exactly once, taken by whichever
  // thread is free next; index is the running thread's number in [0, size()).
  void parallel_chunks(size_t n, size_t chunk, const RangeFn& fn);
  // Runs fn(thread_index, size()) once on every thread and waits for all of them.
  void run_on_all(const std::function<void(int, int)>& fn);

  // Physical cores of this machine (logical CPUs when that cannot be read).
  static int default_threads();

 private:
  void worker_loop(int index);
  // Publishes fn as the next job; late_join: see the file comment.
  void post(const std::function<void(int, int)>& fn, bool late_join);
  void wait_until(const std::function<bool()>& done) const;

  int n_threads_;
  std::vector<std::thread> workers_;
  // The current job. Written by the caller before the generation in state_ advances; a worker
  // reads it only after claiming the job in state_, and the caller does not post the next job
  // until every claimant has finished, so the pointer stays valid while it is used.
  const std::function<void(int, int)>* job_ = nullptr;
  bool late_join_ = false;
  // state_ = generation << 32 | kClosed (bit 31: no more joiners) | active claimants (bits 0-30).
  std::atomic<uint64_t> state_{0};
  std::atomic<int> pending_{0};  // run_on_all: workers that have not finished yet
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace trit
