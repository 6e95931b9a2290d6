#include "util/thread_scope.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "amused.h"
#include "util/recycling_allocator.h"

namespace amused {

namespace {

std::atomic<int> &default_threads() {
  static std::atomic<int> threads{0};
  return threads;
}

int every_core() {
  if (const char *env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0)
    return std::atoi(env);
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

}  // namespace

int configured_threads() { return default_threads().load(); }

ThreadScope::ThreadScope(int threads) {
  if (threads < 0) throw Error("threads must be >= 0, got " + std::to_string(threads));
  const int configured = configured_threads();
  const int wanted = threads > 0 ? threads : configured > 0 ? configured : every_core();
  // ATen initialises each thread's count lazily on its first parallel region, from its own
  // process-wide value; doing that first keeps it from overriding the count set here.
  previous_ = at::get_num_threads();
  if (previous_ == wanted) return;
  omp_set_num_threads(wanted);
  changed_ = true;
}

ThreadScope::~ThreadScope() {
  if (changed_) omp_set_num_threads(previous_);
}

void configure_runtime(const RuntimeOptions &options) {
  if (options.threads < 0)
    throw Error("RuntimeOptions::threads must be >= 0, got " + std::to_string(options.threads));
  default_threads() = options.threads;
  if (options.recycle_cpu_memory) install_recycling_cpu_allocator();
}

}  // namespace amused
