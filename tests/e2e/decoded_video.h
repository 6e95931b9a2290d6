// A video file decoded completely with FFmpeg (media::VideoReader), and the checks the
// end-to-end tests make on it: stream facts and "real content" (frames that are neither
// constant, nor black, nor all the same picture).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "amused.h"
#include "media/video_reader.h"

namespace amused::e2e {

struct DecodedVideo {
  std::string codec;
  int width = 0, height = 0;
  double fps = 0;
  std::optional<double> duration;
  std::vector<Image> frames;
};

inline DecodedVideo decode_video(const std::string &path) {
  media::VideoReader reader(path);
  DecodedVideo d;
  d.codec = reader.codec_name();
  d.width = reader.width();
  d.height = reader.height();
  d.fps = reader.framerate().value();
  d.duration = reader.duration();
  Image f;
  while (reader.read(f)) d.frames.push_back(f);
  return d;
}

// max - min over all samples of the picture.
inline int spread(const Image &img) {
  auto [lo, hi] = std::minmax_element(img.pixels.begin(), img.pixels.end());
  return *hi - *lo;
}

inline double mean_level(const Image &img) {
  double sum = 0;
  for (auto p : img.pixels) sum += p;
  return sum / img.pixels.size();
}

inline double mean_abs_diff(const Image &a, const Image &b) {
  if (a.pixels.size() != b.pixels.size()) return 255.0;
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / a.pixels.size();
}

// Every frame has contrast and is not black. With `moving`, at least half of the
// consecutive pairs differ (the camera moves); either way the frames are not all one
// picture repeated.
inline void expect_real_content(const std::vector<Image> &frames, bool moving) {
  ASSERT_FALSE(frames.empty());
  int differing = 0;
  double most_different = 0;
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_GT(spread(frames[k]), 40) << "frame " << k << " is nearly constant";
    EXPECT_GT(mean_level(frames[k]), 8) << "frame " << k << " is black";
    if (k == 0) continue;
    const double diff = mean_abs_diff(frames[k - 1], frames[k]);
    most_different = std::max(most_different, mean_abs_diff(frames[0], frames[k]));
    if (diff > 1.0) ++differing;
  }
  if (frames.size() > 1) {
    EXPECT_GT(most_different, 1.0) << "every frame is the same picture";
  }
  if (moving) {
    EXPECT_GE(differing, static_cast<int>(frames.size()) / 2) << "the camera moves";
  }
}

}  // namespace amused::e2e
