#include "util/recycling_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "amused.h"

namespace amused {
namespace {

constexpr size_t kSmallestRecycled = size_t{256} << 10;

bool &bypassing() {
  thread_local bool bypass = false;
  return bypass;
}

class RecyclingCpuAllocator final : public c10::Allocator {
 public:
  explicit RecyclingCpuAllocator(size_t cap) { stats_.cap_bytes = cap; }

  // The process's instance once installed, deliberately never destroyed: tensors in static
  // storage are freed after main returns, and their deleter must still find it.
  static RecyclingCpuAllocator *&installed() {
    static RecyclingCpuAllocator *allocator = nullptr;
    return allocator;
  }

  c10::DataPtr allocate(size_t n) const override {
    if (bypassing()) {
      void *data = c10::alloc_cpu(n);
      return {data, data, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    void *data = n < kSmallestRecycled ? c10::alloc_cpu(n) : take(recycling_size_class(n));
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  RecyclingStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void release_all() {
    std::vector<void *> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto &block : order_) blocks.push_back(block.data);
      order_.clear();
      bins_.clear();
      stats_.cached_bytes = 0;
    }
    for (void *data : blocks) c10::free_cpu(data);
  }

  static void release(void *data) { installed()->give_back(data); }

 private:
  struct Block {
    void *data;
    size_t size;
  };
  using Order = std::list<Block>;  // oldest first: the order of eviction

  void *take(size_t size) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto bin = bins_.find(size);
      if (bin != bins_.end() && !bin->second.empty()) {
        const auto block = bin->second.back();  // the newest: its pages are likeliest warm
        bin->second.pop_back();
        void *data = block->data;
        order_.erase(block);
        stats_.cached_bytes -= size;
        ++stats_.reused;
        in_use_.emplace(data, size);
        return data;
      }
      ++stats_.fresh;
    }
    void *data = nullptr;
    try {
      data = c10::alloc_cpu(size);
    } catch (const c10::Error &) {
      // Out of memory while blocks of other sizes sit idle: give them back and try again.
      const_cast<RecyclingCpuAllocator *>(this)->release_all();
      data = c10::alloc_cpu(size);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_.emplace(data, size);
    return data;
  }

  void give_back(void *data) {
    std::vector<void *> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto used = in_use_.find(data);
      // Small blocks, and one above the cap (it would evict every other block, then itself),
      // go straight back.
      if (used != in_use_.end()) {
        const size_t size = used->second;
        in_use_.erase(used);
        if (size <= stats_.cap_bytes) {
          bins_[size].push_back(order_.insert(order_.end(), Block{data, size}));
          stats_.cached_bytes += size;
          data = nullptr;
          while (stats_.cached_bytes > stats_.cap_bytes) {
            const Block oldest = order_.front();
            bins_[oldest.size].pop_front();  // the oldest of its size too
            order_.pop_front();
            stats_.cached_bytes -= oldest.size;
            evicted.push_back(oldest.data);
          }
        }
      }
    }
    if (data != nullptr) c10::free_cpu(data);
    for (void *block : evicted) c10::free_cpu(block);
  }

  mutable std::mutex mutex_;
  mutable Order order_;
  mutable std::unordered_map<size_t, std::deque<Order::iterator>> bins_;
  mutable std::unordered_map<void *, size_t> in_use_;
  mutable RecyclingStats stats_;
};

}  // namespace

size_t recycling_size_class(size_t bytes) {
  if (bytes == 0) return 0;
  const size_t top = size_t{1} << (63 - __builtin_clzll(bytes));
  const size_t step = std::max<size_t>(top / 8, 4096);
  return (bytes + step - 1) / step * step;
}

size_t recycling_cap_bytes(const char *megabytes, size_t physical_bytes) {
  if (megabytes == nullptr) return physical_bytes / 4;
  char *end = nullptr;
  errno = 0;
  const long long value = std::strtoll(megabytes, &end, 10);
  if (end == megabytes || *end != '\0' || errno != 0 || value < 0)
    throw Error(std::string("AMUSED_CPU_CACHE_MB=\"") + megabytes +
                "\" is not a number of megabytes (0 or more; 0 turns the cache off)");
  return static_cast<size_t>(value) << 20;
}

void install_recycling_cpu_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    const size_t physical =
        static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t cap = recycling_cap_bytes(std::getenv("AMUSED_CPU_CACHE_MB"), physical);
    if (cap == 0) return;
    RecyclingCpuAllocator::installed() = new RecyclingCpuAllocator(cap);
    c10::SetCPUAllocator(RecyclingCpuAllocator::installed());
  });
}

RecyclingStats recycling_stats() {
  const auto *allocator = RecyclingCpuAllocator::installed();
  return allocator != nullptr ? allocator->stats() : RecyclingStats{};
}

void release_recycled_cpu_memory() {
  if (auto *allocator = RecyclingCpuAllocator::installed()) allocator->release_all();
}

RecyclingBypass::RecyclingBypass() : previous_(bypassing()) { bypassing() = true; }
RecyclingBypass::~RecyclingBypass() { bypassing() = previous_; }

}  // namespace amused
