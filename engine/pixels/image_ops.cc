#include "pixels/image_ops.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

#include "util/profiler.h"

namespace amused::pixels {

namespace {

void check_image(const Image &image, const char *what) {
  if (image.width <= 0 || image.height <= 0)
    throw Error(std::string(what) + " is empty (" + std::to_string(image.width) + "x" +
                std::to_string(image.height) + ")");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw Error(std::string(what) + " has " + std::to_string(image.channels) +
                " channels (expected 1, 3 or 4)");
  if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels)
    throw Error(std::string(what) + ": buffer of " + std::to_string(image.pixels.size()) +
                " bytes does not match " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels));
}

// [out, in]: how much of each input pixel falls into each output pixel, rows summing to 1.
torch::Tensor area_weights(int64_t in, int64_t out) {
  auto w = torch::zeros({out, in}, torch::kFloat64);
  auto a = w.accessor<double, 2>();
  const double ratio = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double begin = o * ratio, end = (o + 1) * ratio;
    for (auto i = static_cast<int64_t>(begin); i < in && i < end; ++i) {
      const double overlap = std::min(end, i + 1.0) - std::max(begin, static_cast<double>(i));
      if (overlap > 0) a[o][i] = overlap / ratio;
    }
  }
  return w.to(torch::kFloat32);
}

}  // namespace

torch::Tensor image_to_tensor(const Image &image) {
  ProfileScope scope("conversions");
  check_image(image, "image");
  auto t = torch::from_blob(const_cast<uint8_t *>(image.pixels.data()),
                            {image.height, image.width, image.channels}, torch::kUInt8);
  return (t.to(torch::kFloat32) / 255.0f).permute({2, 0, 1}).contiguous();
}

Image tensor_to_image(const torch::Tensor &chw) {
  ProfileScope scope("conversions");
  auto u8 = (chw.to(torch::kCPU, torch::kFloat32).permute({1, 2, 0}) * 255.0f)
                .round()
                .clamp(0, 255)
                .to(torch::kUInt8)
                .contiguous();
  Image img;
  img.height = static_cast<int>(u8.size(0));
  img.width = static_cast<int>(u8.size(1));
  img.channels = static_cast<int>(u8.size(2));
  img.pixels.assign(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel());
  return img;
}

torch::Tensor mask_to_tensor(const Image &mask) {
  if (mask.channels != 1)
    throw Error("mask must have 1 channel, got " + std::to_string(mask.channels));
  return image_to_tensor(mask).unsqueeze(0);
}

torch::Tensor resample(const torch::Tensor &images, int64_t height, int64_t width) {
  const int64_t in_h = images.size(2), in_w = images.size(3);
  if (in_h == height && in_w == width) return images.clone();
  if (height <= in_h || width <= in_w) {
    auto wy = area_weights(in_h, height).to(images.device());
    auto wx = area_weights(in_w, width).to(images.device());
    // [N,C,H,W] -> rows through wy, columns through wx.
    return torch::matmul(torch::matmul(wy, images.to(torch::kFloat32)), wx.t());
  }
  return torch::upsample_bicubic2d(images.to(torch::kFloat32), {height, width}, false).clamp(0, 1);
}

Image blend_with_mask(const Image &source, const Image &generated, const Image &mask) {
  if (generated.width != source.width || generated.height != source.height ||
      mask.width != source.width || mask.height != source.height || mask.channels != 1 ||
      generated.channels != source.channels)
    throw Error("blend_with_mask: source, generated frame and mask differ in size");
  Image out = generated;
  const size_t n = static_cast<size_t>(source.width) * source.height;
  const int c = source.channels;
  for (size_t i = 0; i < n; ++i) {
    const unsigned a = mask.pixels[i];
    for (int k = 0; k < c; ++k) {
      const unsigned s = source.pixels[i * c + k], g = generated.pixels[i * c + k];
      out.pixels[i * c + k] = static_cast<uint8_t>((g * a + s * (255 - a) + 127) / 255);
    }
  }
  return out;
}

}  // namespace amused::pixels

namespace amused {

Image resize_image(const Image &image, int width, int height) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw Error("resize_image: cannot resize to " + std::to_string(width) + "x" +
                std::to_string(height));
  auto t = pixels::image_to_tensor(image).unsqueeze(0);
  return pixels::tensor_to_image(pixels::resample(t, height, width)[0]);
}

Image mask_from_rgba(const Image &rgba) {
  if (rgba.channels != 4)
    throw Error("mask_from_rgba: expected 4 channels, got " + std::to_string(rgba.channels));
  const size_t n = static_cast<size_t>(rgba.width) * rgba.height;
  if (rgba.pixels.size() != n * 4) throw Error("mask_from_rgba: buffer does not match its size");
  const uint8_t *p = rgba.pixels.data();
  bool constant_color = true, constant_alpha = true;
  for (size_t i = 1; i < n && (constant_color || constant_alpha); ++i) {
    if (std::memcmp(p + i * 4, p, 3) != 0) constant_color = false;
    if (p[i * 4 + 3] != p[3]) constant_alpha = false;
  }
  const bool use_alpha = constant_color && !constant_alpha;
  Image mask;
  mask.width = rgba.width;
  mask.height = rgba.height;
  mask.channels = 1;
  mask.pixels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *px = p + i * 4;
    // PIL's L24 fixed-point luma; the weights sum to 65536, so gray stays exact.
    mask.pixels[i] =
        use_alpha
            ? px[3]
            : static_cast<uint8_t>((px[0] * 19595 + px[1] * 38470 + px[2] * 7471 + 0x8000) >> 16);
  }
  return mask;
}

}  // namespace amused
