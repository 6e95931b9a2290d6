#include "resize.h"

#include <string>
#include <vector>

#include "av_util.h"

extern "C" {
#include <libavutil/macros.h>
}

namespace amused::media {

using detail::SwsPtr;

Image resize(const Image &image, int width, int height) {
  if (image.channels != 1 && image.channels != 3) {
    throw Error("resize: unsupported channel count " + std::to_string(image.channels));
  }
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    throw Error("resize: inconsistent source image " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels) + " with " +
                std::to_string(image.pixels.size()) + " bytes");
  }
  if (width <= 0 || height <= 0) {
    throw Error("resize: invalid target size " + std::to_string(width) + "x" +
                std::to_string(height));
  }
  if (width == image.width && height == image.height) return image;

  const bool shrinks = width < image.width || height < image.height;
  // ACCURATE_RND: exact rounding, so a constant image stays exactly constant.
  const int flags = (shrinks ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT;
  // GBRP keeps RGB planar end to end; swscale would otherwise round-trip packed RGB through
  // YUV internally.
  const AVPixelFormat fmt = image.channels == 3 ? AV_PIX_FMT_GBRP : AV_PIX_FMT_GRAY8;
  SwsPtr sws(sws_getContext(image.width, image.height, fmt, width, height, fmt, flags, nullptr,
                            nullptr, nullptr));
  if (!sws) {
    throw Error("resize: swscale cannot resize " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " to " + std::to_string(width) + "x" +
                std::to_string(height));
  }

  // Planes with 64-byte aligned strides and a spare row: swscale's SIMD paths prefer aligned
  // rows and may touch a few bytes past the last pixel of a row.
  const int planes = image.channels;
  const int src_stride = FFALIGN(image.width, 64);
  const int dst_stride = FFALIGN(width, 64);
  const size_t src_plane = static_cast<size_t>(src_stride) * (image.height + 1);
  const size_t dst_plane = static_cast<size_t>(dst_stride) * (height + 1);
  std::vector<uint8_t> src(src_plane * planes);
  std::vector<uint8_t> dst(dst_plane * planes);
  // GBRP plane order is G, B, R.
  auto plane_of = [planes](int c) { return planes == 3 ? (c + 2) % 3 : 0; };
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t *px = &image.pixels[(static_cast<size_t>(y) * image.width + x) * planes];
      for (int c = 0; c < planes; ++c) {
        src[plane_of(c) * src_plane + static_cast<size_t>(y) * src_stride + x] = px[c];
      }
    }
  }
  const uint8_t *src_ptr[4] = {};
  uint8_t *dst_ptr[4] = {};
  int src_strides[4] = {};
  int dst_strides[4] = {};
  for (int p = 0; p < planes; ++p) {
    src_ptr[p] = src.data() + p * src_plane;
    dst_ptr[p] = dst.data() + p * dst_plane;
    src_strides[p] = src_stride;
    dst_strides[p] = dst_stride;
  }
  sws_scale(sws.get(), src_ptr, src_strides, 0, image.height, dst_ptr, dst_strides);

  Image out;
  out.width = width;
  out.height = height;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(width) * height * planes);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t *px = &out.pixels[(static_cast<size_t>(y) * width + x) * planes];
      for (int c = 0; c < planes; ++c) {
        px[c] = dst[plane_of(c) * dst_plane + static_cast<size_t>(y) * dst_stride + x];
      }
    }
  }
  return out;
}

}  // namespace amused::media
