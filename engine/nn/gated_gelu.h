// GEGLU's product of halves, value * gelu(gate), in one pass over the two products' outputs,
// and, for int8, quantized for the next product in the same pass: the hidden activations
// (the feed-forward's widest tensor) are read and written once instead of four times.
#pragma once

#include <torch/types.h>

#include "nn/packed_linear.h"

namespace amused::nn {

// value, gate: fp32 [..., I]. Returns value * gelu(gate) (the exact, erf gelu to within 2e-7
// of erf), in place in `value`.
torch::Tensor gated_gelu_(torch::Tensor value, const torch::Tensor &gate);

// The same, quantized row by row for an int8 product.
QuantizedRows gated_gelu_quantized(const torch::Tensor &value, const torch::Tensor &gate);

}  // namespace amused::nn
