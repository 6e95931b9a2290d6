// Threads for one engine call, on the calling thread only.
//
// libtorch's CPU kernels and oneDNN run OpenMP teams sized by the calling thread's own
// nthreads ICV (omp_set_num_threads changes it for that thread alone), so two elements in
// one pipeline can each run their streaming thread with their own count. The process-wide
// default comes from configure_runtime().
#pragma once

namespace amused {

class ThreadScope {
 public:
  // 0 = the configured default (configure_runtime), else every core (OMP_NUM_THREADS if set).
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope &) = delete;
  ThreadScope &operator=(const ThreadScope &) = delete;

 private:
  int previous_ = 0;
  bool changed_ = false;
};

// The default set by configure_runtime: a thread count, or 0 for every core.
int configured_threads();

}  // namespace amused
