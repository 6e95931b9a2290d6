// A ConvNeXt V2 block's middle, gelu then GlobalResponseNorm over the channels-last hidden
// activations, in two passes instead of ATen's seven, and, for int8, quantized for the next
// product in the second pass. In the conv blocks of amused-256 these passes over the 4x-wide
// hidden tensor cost more than the block's two products' own overhead.
//
//   GRN(g) = gamma * (g * n) + beta + g,  n[b,c] = |g[b,:,:,c]| / (mean_c |g[b,:,:,c]| + 1e-6)
#pragma once

#include <torch/types.h>

#include "nn/packed_linear.h"

namespace amused::nn {

// h: fp32 [B, H, W, C], contiguous (it is overwritten); gamma, beta: C fp32 values (any
// shape). Returns GRN(gelu(h)), gelu the exact, erf one to within 2e-7 of erf, in h's storage.
torch::Tensor gelu_response_norm_(torch::Tensor h, const torch::Tensor &gamma,
                                  const torch::Tensor &beta);

// The same, quantized row by row for an int8 product (h is overwritten with gelu(h)).
QuantizedRows gelu_response_norm_quantized(torch::Tensor h, const torch::Tensor &gamma,
                                           const torch::Tensor &beta);

}  // namespace amused::nn
