#include "kernels/bandwidth.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace trit::kernels {
namespace {

// Eight independent sums keep several loads in flight; the compiler vectorises the adds. The
// result is published so the reads cannot be optimised away.
uint64_t sum_words(const uint64_t* p, size_t n) {
  uint64_t acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += p[i + l];
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t s = 0;
  for (int l = 0; l < 8; ++l) s += acc[l];
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
    pool.parallel_for(words, 64, [&](size_t b, size_t e, int) { sink.fetch_add(sum_words(buffer + b, e - b), std::memory_order_relaxed); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gbs = static_cast<double>(words * 8) / seconds / 1e9;
    if (gbs > best) best = gbs;
  }
  std::free(buffer);
  return best;
}

}  // namespace trit::kernels
