#include "degrade.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "training/scene_random.h"

namespace amused::scenes::testing {

namespace {
uint8_t clamp8(double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); }
}  // namespace

Image blur_by_rescale(const Image &img, int factor) {
  const int sw = img.width / factor, sh = img.height / factor;
  std::vector<double> small(size_t(sw) * sh * 3, 0.0);
  for (int y = 0; y < sh; ++y)
    for (int x = 0; x < sw; ++x)
      for (int c = 0; c < 3; ++c) {
        double s = 0;
        for (int dy = 0; dy < factor; ++dy)
          for (int dx = 0; dx < factor; ++dx) {
            s += img.pixels[(size_t(y * factor + dy) * img.width + x * factor + dx) * 3 + c];
          }
        small[(size_t(y) * sw + x) * 3 + c] = s / (factor * factor);
      }
  Image out = img;
  for (int y = 0; y < img.height; ++y) {
    // Pixel centres map back to the small grid; clamp at the borders.
    const double fy = std::clamp((y + 0.5) / factor - 0.5, 0.0, sh - 1.0);
    const int y0 = int(fy), y1 = std::min(y0 + 1, sh - 1);
    const double ty = fy - y0;
    for (int x = 0; x < img.width; ++x) {
      const double fx = std::clamp((x + 0.5) / factor - 0.5, 0.0, sw - 1.0);
      const int x0 = int(fx), x1 = std::min(x0 + 1, sw - 1);
      const double tx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int xx, int yy) { return small[(size_t(yy) * sw + xx) * 3 + c]; };
        const double v = (1 - ty) * ((1 - tx) * at(x0, y0) + tx * at(x1, y0)) +
                         ty * ((1 - tx) * at(x0, y1) + tx * at(x1, y1));
        out.pixels[(size_t(y) * img.width + x) * 3 + c] = clamp8(v);
      }
    }
  }
  return out;
}

Image colour_shift(const Image &img, uint64_t seed, double gain, double offset) {
  double g[3], o[3];
  for (int c = 0; c < 3; ++c) {
    g[c] = 1.0 + hash_range(seed, 900, c, 0, -gain, gain);
    o[c] = hash_range(seed, 900, c, 1, -offset, offset);
  }
  Image out = img;
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    out.pixels[i] = clamp8(img.pixels[i] * g[i % 3] + o[i % 3]);
  }
  return out;
}

Image add_noise(const Image &img, uint64_t seed, double sigma) {
  Rng rng(seed ^ 0x6E6F697365ull);
  Image out = img;
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    // Box-Muller.
    const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
    const double n = std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * 3.14159265358979 * u2);
    out.pixels[i] = clamp8(img.pixels[i] + sigma * n);
  }
  return out;
}

Image degrade(const Image &img, uint64_t seed) {
  return add_noise(colour_shift(blur_by_rescale(img, 4), seed, 0.05, 8.0), seed, 6.0);
}

Difference difference(const Image &a, const Image &b) {
  Difference d;
  if (a.pixels.size() != b.pixels.size()) return {255.0, 255};
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int diff = std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    sum += diff;
    d.max = std::max(d.max, diff);
  }
  d.mean = a.pixels.empty() ? 0 : sum / a.pixels.size();
  return d;
}

Image crop_columns(const Image &img, int x0, int width) {
  Image out;
  out.width = width;
  out.height = img.height;
  out.channels = 3;
  out.pixels.resize(size_t(width) * img.height * 3);
  for (int y = 0; y < img.height; ++y) {
    std::copy_n(img.pixels.begin() + (size_t(y) * img.width + x0) * 3, size_t(width) * 3,
                out.pixels.begin() + size_t(y) * width * 3);
  }
  return out;
}

}  // namespace amused::scenes::testing
