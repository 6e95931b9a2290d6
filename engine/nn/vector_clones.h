// Row kernels written as plain loops for the compiler to vectorize, built for the x86-64 ISA
// levels v4 (AVX-512), v3 (AVX2, FMA) and the baseline, and chosen when the library loads by
// the processor's features (the engine is compiled for any x86-64). Levels, not processor
// names: a clone for arch=skylake-avx512 is chosen only on Intel processors of that family,
// so an AMD EPYC with AVX-512 ran the AVX2 clone.
#pragma once

// ThreadSanitizer instruments the clones' resolver, which the dynamic loader runs before the
// sanitizer's runtime is ready: a TSan build would crash while loading the library. It keeps
// the baseline only.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AMUSED_THREAD_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(AMUSED_THREAD_SANITIZER)
#define AMUSED_VECTOR_CLONES
#else
#define AMUSED_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
