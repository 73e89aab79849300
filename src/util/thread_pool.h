// A persistent pool of worker threads. parallel_for splits [0, n) into one contiguous range per
// thread and runs them at once; the calling thread takes range 0. parallel_chunks instead hands
// out fixed-size chunks from a shared counter, so a thread that the OS delays (a busy machine)
// does not hold the others up. Workers spin briefly between jobs (a decode step issues hundreds
// of short jobs) and then sleep on a condition variable; the caller spins, then yields, while it
// waits for the workers to finish.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trit {

class ThreadPool {
 public:
  // fn(begin, end, thread_index) handles items [begin, end).
  using RangeFn = std::function<void(size_t, size_t, int)>;

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Splits n items into size() ranges whose boundaries are multiples of `grain` (except the end).
  void parallel_for(size_t n, size_t grain, const RangeFn& fn);
  // Calls fn on chunks [i * chunk, min(n, (i + 1) * chunk)), each exactly once, taken by whichever
  // thread is free next (fn may run several times per thread).
  void parallel_chunks(size_t n, size_t chunk, const RangeFn& fn);
  // Runs fn(thread_index, size()) once on every thread.
  void run_on_all(const std::function<void(int, int)>& fn);

  // Physical cores of this machine (logical CPUs when that cannot be read).
  static int default_threads();

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  // The job of the current generation; the caller keeps it alive until every worker is done.
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace trit
