// Image degradations that stand in for a model's imperfect output in the checker tests.
#pragma once

#include <cstdint>

#include "amused.h"

namespace amused::scenes::testing {

// Box-filter downscale by `factor` (each side), then bilinear upscale back to the original
// size: the blur of a coarse token grid decoded by a small VQ model.
Image blur_by_rescale(const Image &img, int factor);

// Per-channel gain in [1 - gain, 1 + gain] and offset in [-offset, offset], from the seed.
Image colour_shift(const Image &img, uint64_t seed, double gain, double offset);

// Additive Gaussian noise of standard deviation `sigma` (8-bit units), from the seed.
Image add_noise(const Image &img, uint64_t seed, double sigma);

// All three: rescale by 4, colour shift (5%, 8 levels), noise (sigma 6).
Image degrade(const Image &img, uint64_t seed);

// Mean absolute difference per channel value, and the largest one.
struct Difference {
  double mean = 0;
  int max = 0;
};
Difference difference(const Image &a, const Image &b);

// Columns [x0, x0 + width) of an image.
Image crop_columns(const Image &img, int x0, int width);

}  // namespace amused::scenes::testing
