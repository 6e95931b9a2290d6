// Softmax over the last dimension of bf16 attention scores, in place, in fp32 inside (as
// torch computes a bf16 softmax). libtorch 1.13's bf16 softmax runs its rows one exp at a
// time: on the amused-256 architecture it took longer than the products around it.
#pragma once

#include <torch/types.h>

namespace amused::nn {

// scores: contiguous bf16 [..., N], finite. Returns scores.
torch::Tensor softmax_bf16_(torch::Tensor scores);

}  // namespace amused::nn
