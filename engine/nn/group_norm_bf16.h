// GroupNorm for bf16 activations in channels-last layout (the fast precisions' VQ), with
// fp32 statistics. libtorch 1.13's own bf16 kernel accumulates in bf16 and is wrong on
// large maps; converting to fp32 around it costs two full-size copies per call.
#pragma once

#include <torch/types.h>

namespace amused::nn {

// x [N,C,H,W] bf16 (any layout; channels-last is read in place), weight and bias [C] of any
// floating type. Returns bf16, channels-last.
torch::Tensor group_norm_bf16(const torch::Tensor &x, int64_t groups, const torch::Tensor &weight,
                              const torch::Tensor &bias, double eps);

}  // namespace amused::nn
