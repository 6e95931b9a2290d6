// One draw from each row of a categorical distribution, the same draw torch::multinomial
// (probs, 1) makes from a CPU generator, in a fraction of its time.
//
// libtorch draws one sample per row as argmax(p / q), q ~ Exp(1): an exponential for every
// entry of every row (4M Mersenne Twister outputs and 2M logarithms for the amused-256
// logits), one at a time through the generator's lock: 22 ms of a 28 ms scheduler step.
// Here the generator's outputs come in bulk from its own state, and the logarithm is taken
// only where an entry can still win: q >= u for the uniform u behind q, so p / u bounds
// p / q from above and most entries are ruled out without it. The generator ends in the
// state libtorch leaves it in, so the draws after this one are unchanged too.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace amused::sampling {

// probs: [rows, K] float32 on the CPU, each row non-negative with a positive sum. Returns
// [rows, 1] int64, bit for bit torch::multinomial(probs, 1, false, generator) of libtorch's
// CPU generator without MKL (the build Debian ships); other builds and generators go
// through torch::multinomial itself. Throws amused::Error on NaN, infinite or negative
// entries and on rows that sum to zero.
at::Tensor draw_categorical(const at::Tensor &probs, at::Generator &generator);

}  // namespace amused::sampling
