// Row kernels written as plain loops for the compiler to vectorize, built for AVX-512, AVX2
// and plain x86-64 and chosen when the library loads (the engine is compiled for any x86-64).
#pragma once

#define AMUSED_VECTOR_CLONES \
  __attribute__((target_clones("arch=skylake-avx512", "avx2", "default")))
