// Floating-point operations of one UVit2DModel forward pass, counted from the config
// (multiply-adds x 2), so the benchmark can report the transformer's achieved GFLOP/s.
#pragma once

#include "transformer/uvit2d_config.h"

namespace amused::bench {

double uvit_forward_flops(const transformer::UVit2DConfig &c, int64_t batch, int64_t rows,
                          int64_t cols, int64_t text_tokens = 77);

}  // namespace amused::bench
