#include "video/window.h"

#include <torch/torch.h>

#include <algorithm>
#include <utility>

#include "video/token_grid_ops.h"

namespace amused::video {

using torch::indexing::Slice;

namespace {

// `begin`..`end` clipped to 0..size, its ends on multiples of `align`, and its length a
// multiple of `align` where the grid allows.
void fit(int64_t align, int64_t size, int64_t *begin, int64_t *end) {
  int64_t b = std::max<int64_t>(0, *begin) / align * align;
  int64_t e = std::min(size, (std::min(*end, size) + align - 1) / align * align);
  // Grow to the next multiple of `align` inside the grid, first forwards then backwards.
  while ((e - b) % align != 0 && e < size) ++e;
  while ((e - b) % align != 0 && b > 0) --b;
  *begin = b;
  *end = e;
}

// The box of cells [top, bottom) x [left, right) grown by `margin` and fitted to the grid.
TokenWindow grown(TokenWindow box, int64_t margin, int64_t align, int64_t h, int64_t w) {
  box.top -= margin;
  box.bottom += margin;
  box.left -= margin;
  box.right += margin;
  fit(align, h, &box.top, &box.bottom);
  fit(align, w, &box.left, &box.right);
  return box;
}

bool overlap(const TokenWindow &a, const TokenWindow &b) {
  return a.top < b.bottom && b.top < a.bottom && a.left < b.right && b.left < a.right;
}

TokenWindow enclosing(const TokenWindow &a, const TokenWindow &b) {
  return {std::min(a.top, b.top), std::max(a.bottom, b.bottom), std::min(a.left, b.left),
          std::max(a.right, b.right)};
}

}  // namespace

TokenWindow window_around(const torch::Tensor &mask, int64_t margin, int64_t align) {
  const int64_t h = mask.size(-2), w = mask.size(-1);
  auto cells = mask.reshape({h, w}).nonzero();
  if (cells.size(0) == 0) return {};
  const auto lo = std::get<0>(cells.min(0)), hi = std::get<0>(cells.max(0));
  return grown({lo[0].item<int64_t>(), hi[0].item<int64_t>() + 1, lo[1].item<int64_t>(),
                hi[1].item<int64_t>() + 1},
               margin, align, h, w);
}

std::vector<TokenWindow> windows_around(const torch::Tensor &mask, int64_t margin, int64_t align) {
  const int64_t h = mask.size(-2), w = mask.size(-1);
  // The cells within `margin` of a masked one (1), grouped into 8-connected components
  // (marked 2 once visited): each component's bounding box is a window to start with;
  // merging then joins them.
  const auto grown_mask = dilate(mask.reshape({1, h, w}).to(torch::kBool), static_cast<int>(margin))
                              .to(torch::kCPU, torch::kUInt8)
                              .contiguous();
  std::vector<uint8_t> near(grown_mask.data_ptr<uint8_t>(), grown_mask.data_ptr<uint8_t>() + h * w);
  std::vector<TokenWindow> windows;
  std::vector<std::pair<int64_t, int64_t>> stack;
  for (int64_t y0 = 0; y0 < h; ++y0)
    for (int64_t x0 = 0; x0 < w; ++x0) {
      if (near[y0 * w + x0] != 1) continue;
      TokenWindow box{y0, y0 + 1, x0, x0 + 1};
      near[y0 * w + x0] = 2;
      stack.assign(1, {y0, x0});
      while (!stack.empty()) {
        const auto [y, x] = stack.back();
        stack.pop_back();
        box = enclosing(box, {y, y + 1, x, x + 1});
        for (int64_t v = std::max<int64_t>(0, y - 1); v < std::min(h, y + 2); ++v)
          for (int64_t u = std::max<int64_t>(0, x - 1); u < std::min(w, x + 2); ++u)
            if (near[v * w + u] == 1) {
              near[v * w + u] = 2;
              stack.push_back({v, u});
            }
      }
      windows.push_back(grown(box, 0, align, h, w));
    }
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < windows.size() && !merged; ++i)
      for (size_t j = i + 1; j < windows.size() && !merged; ++j) {
        const TokenWindow both = enclosing(windows[i], windows[j]);
        if (overlap(windows[i], windows[j]) ||
            both.cells() <= windows[i].cells() + windows[j].cells()) {
          windows[i] = both;
          windows.erase(windows.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
        }
      }
  }
  int64_t covered = 0;
  for (const auto &win : windows) covered += win.cells();
  if (windows.empty() || covered * 10 > h * w * 7) return {};
  return windows;
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
