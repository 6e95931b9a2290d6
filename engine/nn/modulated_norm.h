// A norm and the adaptive modulation that follows it, in two passes over the activations
// instead of the six or so of separate operations: y = norm(x) * (1 + scale) + shift. For the
// fast precisions (fp32 keeps the reference's sequence of operations, bit for bit).
#pragma once

#include <torch/types.h>

namespace amused::nn {

enum class NormKind { kRms, kLayer };

// x [B, S, D] fp32; weight, bias [D] (either may be undefined); scale, shift [B, D].
torch::Tensor modulated_norm(const torch::Tensor &x, NormKind kind, const torch::Tensor &weight,
                             const torch::Tensor &bias, double eps, const torch::Tensor &scale,
                             const torch::Tensor &shift);

}  // namespace amused::nn
