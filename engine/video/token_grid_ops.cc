#include "video/token_grid_ops.h"

#include <torch/torch.h>

namespace amused::video {

using torch::indexing::Slice;

torch::Tensor shift_grid(const torch::Tensor &grid, int dx, int dy, int64_t fill,
                         torch::Tensor *revealed) {
  const int64_t h = grid.size(1), w = grid.size(2);
  auto out = torch::full_like(grid, fill);
  auto entered = torch::ones({1, h, w}, grid.options().dtype(torch::kBool));
  // Destination window and the source window it copies from.
  const int64_t dst_x0 = std::max<int64_t>(0, dx), dst_x1 = std::min<int64_t>(w, w + dx);
  const int64_t dst_y0 = std::max<int64_t>(0, dy), dst_y1 = std::min<int64_t>(h, h + dy);
  if (dst_x0 < dst_x1 && dst_y0 < dst_y1) {
    out.index_put_(
        {Slice(), Slice(dst_y0, dst_y1), Slice(dst_x0, dst_x1)},
        grid.index({Slice(), Slice(dst_y0 - dy, dst_y1 - dy), Slice(dst_x0 - dx, dst_x1 - dx)}));
    entered.index_put_({Slice(), Slice(dst_y0, dst_y1), Slice(dst_x0, dst_x1)}, false);
  }
  if (revealed) *revealed = entered;
  return out;
}

torch::Tensor dilate(const torch::Tensor &region, int radius) {
  if (radius <= 0) return region;
  auto f = region.to(torch::kFloat32).unsqueeze(1);
  auto grown = torch::max_pool2d(f, {2 * radius + 1, 2 * radius + 1}, {1, 1}, {radius, radius});
  return grown.squeeze(1) > 0.5f;
}

torch::Tensor per_token_change(const torch::Tensor &a, const torch::Tensor &b, int64_t scale) {
  auto diff = (a - b).abs().mean(1, /*keepdim=*/true);
  return torch::avg_pool2d(diff, {scale, scale}).squeeze(1);
}

}  // namespace amused::video
