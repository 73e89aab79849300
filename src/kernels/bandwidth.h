// Streaming read bandwidth of this machine with a given thread count: the ceiling a decode step
// (which reads every weight once) can reach. `trit bench` prints it beside tg tokens/s.
#pragma once
#include <cstddef>

#include "util/thread_pool.h"

namespace trit::kernels {

// Reads a freshly allocated buffer of `bytes` (use well above the last-level cache, e.g. 1 GiB)
// with every thread of the pool streaming its own contiguous share, `repetitions` times, and
// returns the best pass in GB/s (1e9 bytes per second).
double measure_read_bandwidth_gbs(ThreadPool& pool, size_t bytes, int repetitions = 5);

}  // namespace trit::kernels
