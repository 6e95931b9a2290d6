// The window a partial frame is computed on. Only the tokens around the re-masked band need
// the transformer (the anchor frame's cached keys/values give every window the rest of the
// scene) and only the band's pixels need the decoder, so a frame costs what is new in it.
// Pure arithmetic on the band, tested without a model.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "util/grid_rect.h"

namespace amused::video {

using TokenWindow = GridRect;

// The bounding box of `mask` [1,h,w] grown by `margin` tokens on every side, clipped to the
// grid, with its edges on multiples of `align` (models that halve the grid internally need
// 2) and its size a multiple of `align` where the grid allows. Empty when the mask is.
TokenWindow window_around(const torch::Tensor &mask, int64_t margin, int64_t align = 1);

// Windows around each group of masked cells, so that changes far apart (a ball and a
// hand at opposite sides of the frame) do not make one window as large as the frame.
// Each covers its cells and `margin` tokens around them, aligned as window_around does;
// windows never overlap, and two are merged whenever one window around both has no more
// cells than the two apart. Empty when the mask is, or when the windows together cover
// most of the grid (computing the whole grid then costs about the same).
std::vector<TokenWindow> windows_around(const torch::Tensor &mask, int64_t margin,
                                        int64_t align = 1);

// The part of `grid` [1,h,w] (or [B,C,h,w] pixels with `scale` pixels per token) inside it.
torch::Tensor crop(const torch::Tensor &grid, const TokenWindow &window, int64_t scale = 1);
// `grid` with `part` written into the window.
torch::Tensor paste(torch::Tensor grid, const torch::Tensor &part, const TokenWindow &window,
                    int64_t scale = 1);

}  // namespace amused::video
