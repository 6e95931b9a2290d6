// A rectangle of a token (latent) grid: the windows a partial video frame is sampled on and
// the region the VQ decoder computes.
#pragma once

#include <cstdint>

namespace amused {

// Rows [top, bottom) and columns [left, right) of a token grid.
struct GridRect {
  int64_t top = 0, bottom = 0, left = 0, right = 0;
  int64_t rows() const { return bottom - top; }
  int64_t cols() const { return right - left; }
  int64_t cells() const { return rows() * cols(); }
  bool empty() const { return rows() <= 0 || cols() <= 0; }
};

}  // namespace amused
