#include "video/window.h"

#include <torch/torch.h>

#include <algorithm>

namespace amused::video {

using torch::indexing::Slice;

TokenWindow window_around(const torch::Tensor &mask, int64_t margin, int64_t align) {
  const int64_t h = mask.size(-2), w = mask.size(-1);
  auto cells = mask.reshape({h, w}).nonzero();
  if (cells.size(0) == 0) return {};
  const auto lo = std::get<0>(cells.min(0)), hi = std::get<0>(cells.max(0));
  TokenWindow win{lo[0].item<int64_t>() - margin, hi[0].item<int64_t>() + 1 + margin,
                  lo[1].item<int64_t>() - margin, hi[1].item<int64_t>() + 1 + margin};
  auto fit = [align](int64_t begin, int64_t end, int64_t size, int64_t *out_begin,
                     int64_t *out_end) {
    begin = std::max<int64_t>(0, begin) / align * align;
    end = std::min(size, (std::min(end, size) + align - 1) / align * align);
    // Grow to the next multiple of `align` inside the grid, first forwards then backwards.
    while ((end - begin) % align != 0 && end < size) ++end;
    while ((end - begin) % align != 0 && begin > 0) --begin;
    *out_begin = begin;
    *out_end = end;
  };
  fit(win.top, win.bottom, h, &win.top, &win.bottom);
  fit(win.left, win.right, w, &win.left, &win.right);
  return win;
}

bool worth_windowing(const TokenWindow &window, int64_t rows, int64_t cols) {
  return !window.empty() && window.cells() * 10 <= rows * cols * 7;
}

torch::Tensor crop(const torch::Tensor &grid, const TokenWindow &win, int64_t scale) {
  return grid
      .index({"...", Slice(win.top * scale, win.bottom * scale),
              Slice(win.left * scale, win.right * scale)})
      .contiguous();
}

torch::Tensor paste(torch::Tensor grid, const torch::Tensor &part, const TokenWindow &win,
                    int64_t scale) {
  grid.index_put_({"...", Slice(win.top * scale, win.bottom * scale),
                   Slice(win.left * scale, win.right * scale)},
                  part);
  return grid;
}

}  // namespace amused::video
