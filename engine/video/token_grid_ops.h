// Operations on token grids that video consistency is built from: moving a grid with the
// camera, growing a region by a band of tokens, comparing source frames token by token.
#pragma once

#include <torch/types.h>

namespace amused::video {

// Moves `grid` [1,h,w] by (dx, dy) whole tokens: content moves with it, cells that enter
// the grid get `fill`. Returns the moved grid; `revealed` receives a bool [1,h,w] map of
// the entered cells.
torch::Tensor shift_grid(const torch::Tensor &grid, int dx, int dy, int64_t fill,
                         torch::Tensor *revealed);

// Grows a bool region [1,h,w] by `radius` tokens in every direction (8-neighbourhood).
torch::Tensor dilate(const torch::Tensor &region, int radius);

// Mean absolute difference per token of two images [1,3,H,W] in [0,1], pooled over each
// `scale` x `scale` patch: [1,h,w].
torch::Tensor per_token_change(const torch::Tensor &a, const torch::Tensor &b, int64_t scale);

// Moves an image [1,C,H,W] by (dx, dy) pixels; entering pixels are zero.
torch::Tensor shift_image(const torch::Tensor &image, int64_t dx, int64_t dy);

// `fresh` inside `region` (a bool token map [1,h,w]) and over one more token around it,
// ramping linearly to `old` across that extra token; `old` everywhere else, bit for bit.
torch::Tensor blend_region(const torch::Tensor &old, const torch::Tensor &fresh,
                           const torch::Tensor &region, int64_t scale);

}  // namespace amused::video
