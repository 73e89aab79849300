// How much memory the system can still give this process without swapping: Linux's MemAvailable
// (/proc/meminfo), which counts free pages plus the page cache and reclaimable slabs the kernel
// would drop. Used to refuse a context that cannot fit before allocating it (a zero-filled KV cache
// larger than RAM is otherwise an OOM kill halfway through).
#pragma once
#include <cstddef>
#include <optional>

namespace trit {

// nullopt where the figure cannot be read (not Linux, /proc not mounted).
std::optional<size_t> available_memory_bytes();

}  // namespace trit
