// The pool covers every item exactly once, with more threads than cores and many back-to-back
// jobs (the decode pattern), and reports valid thread indices.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "util/thread_pool.h"

namespace trit {
namespace {

TEST(ThreadPool, EveryItemExactlyOnceAcrossManyJobs) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (size_t n : {1u, 2u, 7u, 64u, 1000u, 4097u}) {
      for (int job = 0; job < 50; ++job) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<bool> bad_index{false};
        auto count = [&](size_t b, size_t e, int thread) {
          if (thread < 0 || thread >= threads) bad_index = true;
          for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        };
        if (job % 2) pool.parallel_for(n, 3, count);
        else pool.parallel_chunks(n, 5, count);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " n " << n << " item " << i;
        ASSERT_FALSE(bad_index.load());
      }
    }
  }
}

TEST(ThreadPool, ParallelForRangesStartOnGrainBoundaries) {
  ThreadPool pool(3);
  std::atomic<int> misaligned{0};
  pool.parallel_for(1000, 64, [&](size_t b, size_t, int) {
    if (b % 64 != 0) misaligned++;
  });
  EXPECT_EQ(misaligned.load(), 0);
}

TEST(ThreadPool, DefaultThreadsIsPositive) { EXPECT_GE(ThreadPool::default_threads(), 1); }

}  // namespace
}  // namespace trit
