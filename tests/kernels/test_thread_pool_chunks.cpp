// ThreadPool's late-join jobs (parallel_chunks, parallel_for) and run_on_all. The pool lives in
// util/ but is tuned for the kernels, which split every matmul with it.
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

TEST(ThreadPoolChunks, ParallelForRunsEachRangeOnceWithItsIndex) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (size_t n : {1, 3, 10, 1000})
      for (size_t grain : {1, 4, 64}) {
        std::vector<std::atomic<int>> hits(n);
        std::vector<std::atomic<int>> index_uses(static_cast<size_t>(threads));
        pool.parallel_for(n, grain, [&](size_t b, size_t e, int index) {
          ASSERT_GE(index, 0);
          ASSERT_LT(index, threads);
          index_uses[static_cast<size_t>(index)]++;
          if (b % grain != 0) ADD_FAILURE() << "range start " << b << " not a multiple of " << grain;
          for (size_t i = b; i < e; ++i) hits[i]++;
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads=" << threads << " n=" << n;
        for (auto& u : index_uses) EXPECT_LE(u.load(), 1);
      }
  }
}

TEST(ThreadPoolChunks, RunOnAllReachesEveryThreadAndMixesWithLateJoinJobs) {
  ThreadPool pool(3);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::atomic<int>> seen(3);
    std::atomic<int> other_size{0};
    pool.run_on_all([&](int index, int count) {
      seen[static_cast<size_t>(index)]++;
      if (count != 3) other_size++;
    });
    for (auto& s : seen) ASSERT_EQ(s.load(), 1) << "round " << round;
    EXPECT_EQ(other_size.load(), 0);
    std::atomic<size_t> total{0};
    pool.parallel_chunks(9, 2, [&](size_t b, size_t e, int) { total += e - b; });
    ASSERT_EQ(total.load(), 9u);
  }
}

}  // namespace
}  // namespace trit
