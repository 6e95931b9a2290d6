#include "amused.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace amused::video {

namespace {

int px(const Image &img, int x, int y, int c) {
  return img.pixels[(static_cast<size_t>(y) * img.width + x) * img.channels + c];
}

void require_same(const Image &a, const Image &b) {
  if (a.width != b.width || a.height != b.height || a.channels != b.channels)
    throw Error("metrics: frames differ in size");
}

}  // namespace

double shared_region_error(const Image &a, const Image &b, int dx, int dy) {
  require_same(a, b);
  const int x0 = std::max(0, -dx), x1 = std::min(b.width, a.width - dx);
  const int y0 = std::max(0, -dy), y1 = std::min(b.height, a.height - dy);
  if (x0 >= x1 || y0 >= y1) throw Error("metrics: the frames share no region");
  double sum = 0;
  size_t n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      for (int c = 0; c < b.channels; ++c, ++n)
        sum += std::abs(px(b, x, y, c) - px(a, x + dx, y + dy, c));
  return sum / static_cast<double>(n);
}

double shared_token_change(const TokenGrid &a, const TokenGrid &b, int dx, int dy) {
  const int x0 = std::max(0, -dx), x1 = std::min(b.cols, a.cols - dx);
  const int y0 = std::max(0, -dy), y1 = std::min(b.rows, a.rows - dy);
  if (x0 >= x1 || y0 >= y1) throw Error("metrics: the grids share no region");
  size_t differ = 0, n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x, ++n)
      differ += b.ids[y * b.cols + x] != a.ids[(y + dy) * a.cols + x + dx];
  return static_cast<double>(differ) / static_cast<double>(n);
}

double token_flicker(const TokenGrid &a, const TokenGrid &b,
                     const std::vector<bool> &static_tokens) {
  size_t differ = 0, n = 0;
  for (size_t i = 0; i < a.ids.size() && i < static_tokens.size(); ++i)
    if (static_tokens[i]) {
      ++n;
      differ += a.ids[i] != b.ids[i];
    }
  return n ? static_cast<double>(differ) / static_cast<double>(n) : 0.0;
}

double static_region_difference(const Image &a, const Image &b,
                                const std::vector<bool> &static_tokens, int scale) {
  require_same(a, b);
  const int cols = a.width / scale;
  double sum = 0;
  size_t n = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      const size_t t = static_cast<size_t>(y / scale) * cols + x / scale;
      if (t >= static_tokens.size() || !static_tokens[t]) continue;
      for (int c = 0; c < a.channels; ++c, ++n) sum += std::abs(px(a, x, y, c) - px(b, x, y, c));
    }
  return n ? sum / static_cast<double>(n) : 0.0;
}

std::vector<bool> changed_tokens(const Image &a, const Image &b, int scale, double threshold) {
  require_same(a, b);
  const int rows = a.height / scale, cols = a.width / scale;
  std::vector<bool> changed(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int q = 0; q < cols; ++q) {
      double sum = 0;
      for (int y = r * scale; y < (r + 1) * scale; ++y)
        for (int x = q * scale; x < (q + 1) * scale; ++x)
          for (int c = 0; c < a.channels; ++c) sum += std::abs(px(a, x, y, c) - px(b, x, y, c));
      changed[static_cast<size_t>(r) * cols + q] =
          sum / (scale * scale * a.channels * 255.0) > threshold;
    }
  return changed;
}

SeamError seam_error(const Image &img, int scale, const std::vector<int> &boundary_columns,
                     const std::vector<int> &boundary_rows) {
  auto column_step = [&](int x) {  // between pixel columns x-1 and x
    double s = 0;
    for (int y = 0; y < img.height; ++y)
      for (int c = 0; c < img.channels; ++c) s += std::abs(px(img, x, y, c) - px(img, x - 1, y, c));
    return s / (img.height * img.channels);
  };
  auto row_step = [&](int y) {
    double s = 0;
    for (int x = 0; x < img.width; ++x)
      for (int c = 0; c < img.channels; ++c) s += std::abs(px(img, x, y, c) - px(img, x, y - 1, c));
    return s / (img.width * img.channels);
  };
  double seam = 0, other = 0;
  int n_seam = 0, n_other = 0;
  for (int q = 1; q < img.width / scale; ++q) {
    const bool is_seam =
        std::find(boundary_columns.begin(), boundary_columns.end(), q) != boundary_columns.end();
    (is_seam ? seam : other) += column_step(q * scale);
    ++(is_seam ? n_seam : n_other);
  }
  for (int r = 1; r < img.height / scale; ++r) {
    const bool is_seam =
        std::find(boundary_rows.begin(), boundary_rows.end(), r) != boundary_rows.end();
    (is_seam ? seam : other) += row_step(r * scale);
    ++(is_seam ? n_seam : n_other);
  }
  SeamError e;
  e.seam_step = n_seam ? seam / n_seam : 0;
  e.other_step = n_other ? other / n_other : 0;
  e.ratio = e.other_step > 0 ? e.seam_step / e.other_step : 0;
  return e;
}

}  // namespace amused::video
