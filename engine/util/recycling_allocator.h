// libtorch's CPU allocator hands every tensor to malloc, and glibc serves each block above
// 32 MiB (above 64 MiB off the main thread, or whatever its heap trimming returns to the
// kernel) with a fresh mmap: every step, every activation of that size is faulted in page by
// page and zeroed by the kernel again. The same shapes recur every step and every frame, so
// the recycling allocator keeps freed blocks from 256 KiB up and hands them out again.
#pragma once

#include <cstddef>

#include "amused.h"  // RecyclingStats, recycling_stats, release_recycled_cpu_memory

namespace amused {

// Makes libtorch's CPU tensors come from the recycling allocator from now on (once per
// process; tensors allocated before keep their own deleter). The cache holds at most a
// quarter of the machine's memory, or AMUSED_CPU_CACHE_MB megabytes (0: not installed).
void install_recycling_cpu_allocator();

// While one lives, the calling thread's allocations bypass the cache and are freed at once:
// loading a model frees each tensor it converts, and kept blocks would only add to the peak.
class RecyclingBypass {
 public:
  RecyclingBypass();
  ~RecyclingBypass();
  RecyclingBypass(const RecyclingBypass &) = delete;
  RecyclingBypass &operator=(const RecyclingBypass &) = delete;

 private:
  bool previous_;
};

// The block size that serves `bytes`: eight steps per power of two, so sizes that differ a
// little (a batch's varying count of masked tokens) share blocks, at most 12.5% larger.
size_t recycling_size_class(size_t bytes);

// The cache's cap: AMUSED_CPU_CACHE_MB's value if set (throws Error naming a bad one), else a
// quarter of physical memory.
size_t recycling_cap_bytes(const char *megabytes, size_t physical_bytes);

}  // namespace amused
