// Row kernels written as plain loops for the compiler to vectorize, built for the x86-64 ISA
// levels v4 (AVX-512), v3 (AVX2, FMA) and the baseline, and chosen when the library loads by
// the processor's features (the engine is compiled for any x86-64). Levels, not processor
// names: a clone for arch=skylake-avx512 is chosen only on Intel processors of that family,
// so an AMD EPYC with AVX-512 ran the AVX2 clone.
#pragma once

#define AMUSED_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
