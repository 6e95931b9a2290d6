// Pixel work on tensors that the pipelines and the video session share: conversions
// between amused::Image and float tensors, and resampling.
#pragma once

#include <torch/types.h>

#include "amused.h"

namespace amused::pixels {

// u8 HWC <-> float NCHW in [0,1]; rounding as numpy's (x*255).round().
torch::Tensor image_to_tensor(const Image &image);  // [C,H,W]
Image tensor_to_image(const torch::Tensor &chw);    // 1, 3 or 4 channels
torch::Tensor mask_to_tensor(const Image &mask);    // [1,1,H,W] in [0,1]

// Resamples float images [N,C,H,W]: exact area averaging when either side shrinks (no
// aliasing on the model's inputs), bicubic when both grow (clamped to [0,1]).
torch::Tensor resample(const torch::Tensor &images, int64_t height, int64_t width);

// `generated` where `mask` is 1, `source` where it is 0, blended between, all at the
// source's size, rounded to 8 bits: where the mask is 0 the result is the source's bytes.
Image blend_with_mask(const Image &source, const Image &generated, const Image &mask);

}  // namespace amused::pixels
