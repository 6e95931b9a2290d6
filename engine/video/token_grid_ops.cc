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

torch::Tensor shift_image(const torch::Tensor &image, int64_t dx, int64_t dy) {
  const int64_t h = image.size(2), w = image.size(3);
  auto out = torch::zeros_like(image);
  const int64_t x0 = std::max<int64_t>(0, dx), x1 = std::min<int64_t>(w, w + dx);
  const int64_t y0 = std::max<int64_t>(0, dy), y1 = std::min<int64_t>(h, h + dy);
  if (x0 < x1 && y0 < y1)
    out.index_put_(
        {Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)},
        image.index({Slice(), Slice(), Slice(y0 - dy, y1 - dy), Slice(x0 - dx, x1 - dx)}));
  return out;
}

torch::Tensor blend_region(const torch::Tensor &old, const torch::Tensor &fresh,
                           const torch::Tensor &region, int64_t /*scale*/) {
  // Distance-like ramp: 1 on the region, falling to 0 across the next token.
  auto inner = region.to(torch::kFloat32).unsqueeze(1);
  auto outer = dilate(region, 1).to(torch::kFloat32).unsqueeze(1);
  const auto size = std::vector<int64_t>{old.size(2), old.size(3)};
  auto hard = torch::upsample_nearest2d(inner, size);
  auto soft = torch::upsample_bilinear2d(outer, size, false);
  // Where the outer ring meets untouched tokens the bilinear ramp runs over one token;
  // inside the region it is forced to 1, outside the ring it is exactly 0.
  auto alpha = torch::maximum(hard, soft * torch::upsample_nearest2d(outer, size)).clamp(0, 1);
  return old * (1 - alpha) + fresh * alpha;
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
