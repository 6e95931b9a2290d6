#include "training/scene_frame.h"

namespace amused::scenes {

namespace {
double median(std::vector<double> &v) {
  auto mid = v.begin() + v.size() / 2;
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}
}  // namespace

Frame::Frame(const Image &img) : img_(img), side_(img.height) {
  x0_ = (img.width - img.height) / 2;
  xb_ = std::max(0, x0_);
  xe_ = std::min(img.width, x0_ + side_);
}

Rgb Frame::row_median(int y, int skip0, int skip1) const {
  std::vector<double> r, g, b;
  r.reserve(xe_ - xb_);
  g.reserve(xe_ - xb_);
  b.reserve(xe_ - xb_);
  for (int x = xb_; x < xe_; ++x) {
    if (x >= skip0 && x < skip1) continue;
    const Rgb p = at(x, y);
    r.push_back(p.r);
    g.push_back(p.g);
    b.push_back(p.b);
  }
  if (r.empty()) return at(xb_, y);
  return {median(r), median(g), median(b)};
}

Rgb Frame::band_colour(double v0, double v1, int skip0, int skip1) const {
  Rgb sum;
  int n = 0;
  for (int y = row(v0); y < std::max(row(v1), row(v0) + 1); ++y) {
    const Rgb m = row_median(y, skip0, skip1);
    sum = {sum.r + m.r, sum.g + m.g, sum.b + m.b};
    ++n;
  }
  return scaled(sum, 1.0 / n);
}

}  // namespace amused::scenes
