// ThreadPool::parallel_chunks, which the matrix kernels split their work with (it lives in util/
// but is tuned for the kernels; tests/util holds the pool's other tests).
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "util/thread_pool.h"

namespace trit {
namespace {

TEST(ThreadPoolChunks, EveryItemExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 7, 64, 1001})
      for (size_t chunk : {0, 1, 5, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int> bad_thread{0};
        pool.parallel_chunks(n, chunk, [&](size_t b, size_t e, int index) {
          if (index < 0 || index >= threads) bad_thread++;
          for (size_t i = b; i < e; ++i) hits[i]++;
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " chunk=" << chunk << " i=" << i;
        EXPECT_EQ(bad_thread.load(), 0);
      }
  }
}

TEST(ThreadPoolChunks, ManyShortJobsBackToBack) {
  // A decode step issues hundreds of tiny jobs; every one must complete before the next starts.
  ThreadPool pool(2);
  std::atomic<long> total{0};
  for (int job = 0; job < 20000; ++job)
    pool.parallel_chunks(4, 1, [&](size_t b, size_t e, int) { total += static_cast<long>(e - b); });
  EXPECT_EQ(total.load(), 80000);
}

}  // namespace
}  // namespace trit
