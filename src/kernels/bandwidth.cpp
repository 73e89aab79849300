#include "kernels/bandwidth.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace trit::kernels {
namespace {

// The strongest plain reader measured on this project's machine, so that "fraction of read
// bandwidth" is not flattered by a weak yardstick: each thread reads the two halves of its share
// side by side, each stream prefetched a few KB ahead (two streams keep more DRAM reads in flight
// than one, as the decode kernels do). On a Zen 5 VM, 2 threads: one plain stream per thread
// 40-41 GB/s, this 47-49 GB/s. Eight independent sums per stream let the compiler vectorise the
// adds; the result is published so the reads cannot be optimised away.
constexpr size_t kPrefetchWords = 3072 / 8;

uint64_t sum_two_streams(const uint64_t* p, size_t n) {
  const size_t half = n / 2 / 8 * 8;
  const uint64_t* q = p + half;
  uint64_t a[8] = {}, b[8] = {};
  for (size_t i = 0; i + 8 <= half; i += 8) {
    __builtin_prefetch(p + i + kPrefetchWords);
    __builtin_prefetch(q + i + kPrefetchWords);
    for (int l = 0; l < 8; ++l) {
      a[l] += p[i + l];
      b[l] += q[i + l];
    }
  }
  uint64_t s = 0;
  for (size_t i = 2 * half; i < n; ++i) s += p[i];
  for (int l = 0; l < 8; ++l) s += a[l] + b[l];
  return s;
}

}  // namespace

double measure_read_bandwidth_gbs(ThreadPool& pool, size_t bytes, int repetitions) {
  const size_t words = bytes / 8 / 64 * 64;
  if (words == 0) fail("bandwidth measurement needs at least 512 bytes");
  auto* buffer = static_cast<uint64_t*>(std::aligned_alloc(64, words * 8));
  if (!buffer) fail("cannot allocate ", bytes, " bytes for the bandwidth measurement");
  // Each thread first touches its own share so the pages are resident before timing.
  pool.parallel_for(words, 64, [&](size_t b, size_t e, int) { std::memset(buffer + b, 1, (e - b) * 8); });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int r = 0; r < (repetitions < 1 ? 1 : repetitions); ++r) {
    auto start = std::chrono::steady_clock::now();
    pool.parallel_for(words, 64, [&](size_t b, size_t e, int) { sink.fetch_add(sum_two_streams(buffer + b, e - b), std::memory_order_relaxed); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gbs = static_cast<double>(words * 8) / seconds / 1e9;
    if (gbs > best) best = gbs;
  }
  std::free(buffer);
  return best;
}

}  // namespace trit::kernels
