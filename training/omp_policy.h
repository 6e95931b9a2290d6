// Training shares two cores with whatever else runs on the machine. libgomp's worker
// threads spin at every barrier by default; when another process takes a core, the spinning
// thread burns its time slice waiting for the descheduled one, and a training step got 2-3x
// slower here (measured with two compilers running). OMP_WAIT_POLICY=passive makes waiting
// threads sleep instead. libgomp reads the variable once, when it is loaded, so the program
// sets it and re-executes itself before doing anything else.
#pragma once

#include <unistd.h>

#include <cstdlib>

namespace amused::train {

// Debian's OpenBLAS 0.3.21 does not know recent Xeons and falls back to its oldest
// (Prescott) kernels; the training's backward passes go through BLAS, and one transformer
// step of the default model took 4.5 s with them against 1.5 s with the SkylakeX kernels
// (measured here). The kernel family is picked from what the processor can run, and only
// when the user did not choose one.
inline const char *openblas_core_for_this_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

// Unless the user already chose them: sets OMP_WAIT_POLICY=passive and OPENBLAS_CORETYPE,
// and re-executes /proc/self/exe with the same arguments (both libraries read their variable
// once, when loaded). Returns only if nothing needed doing or exec failed.
inline void reexec_with_passive_omp_wait(char **argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    changed = true;
  const char *core = openblas_core_for_this_cpu();
  if (core && std::getenv("OPENBLAS_CORETYPE") == nullptr &&
      setenv("OPENBLAS_CORETYPE", core, 1) == 0)
    changed = true;
  if (changed) execv("/proc/self/exe", argv);
  // Nothing to do, or exec failed: carry on with the libraries' defaults.
}

}  // namespace amused::train
