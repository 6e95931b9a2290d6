// Helpers shared by the media tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "amused.h"

namespace amused::media::testing {

inline std::filesystem::path data_path(const std::string &name) {
  return std::filesystem::path(MEDIA_TEST_DATA) / name;
}

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "amused-media-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  std::filesystem::path operator/(const std::string &name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline Image make_image(int w, int h, int channels) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(static_cast<size_t>(w) * h * channels, 0);
  return img;
}

// PSNR in dB over all samples of two images of the same shape (infinity when identical).
inline double psnr(const Image &a, const Image &b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double se = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) {
    const double d = static_cast<double>(a.pixels[i]) - b.pixels[i];
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.pixels.size());
  return mse == 0 ? INFINITY : 10.0 * std::log10(255.0 * 255.0 / mse);
}

inline double mean_abs_diff(const Image &a, const Image &b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    sum += std::abs(static_cast<int>(a.pixels[i]) - static_cast<int>(b.pixels[i]));
  }
  return sum / static_cast<double>(a.pixels.size());
}

inline double stddev(const Image &a) {
  double sum = 0, sq = 0;
  for (uint8_t v : a.pixels) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(a.pixels.size());
  const double mean = sum / n;
  return std::sqrt(std::max(0.0, sq / n - mean * mean));
}

// Expects `fn` to throw amused::Error whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn &&fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected amused::Error";
  } catch (const Error &e) {
    const std::string msg = e.what();
    for (const std::string &p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
  }
}

}  // namespace amused::media::testing
