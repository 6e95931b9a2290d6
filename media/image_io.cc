#include "image_io.h"

#include <png.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace amused::media {
namespace {

// 2^28 pixels (16384 x 16384): 1 GiB as RGBA, far beyond any size the model works at.
constexpr size_t kMaxPixels = size_t{1} << 28;

[[noreturn]] void fail(const std::filesystem::path &path, const std::string &why) {
  throw Error(path.string() + ": " + why);
}

// png_image holds libpng state in `opaque` between begin_read and finish_read; a failure
// anywhere in between must release it.
struct PngImage {
  png_image image;
  PngImage() {
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
  }
  ~PngImage() { png_image_free(&image); }
  PngImage(const PngImage &) = delete;
  PngImage &operator=(const PngImage &) = delete;
};

std::vector<uint8_t> read_file(const std::filesystem::path &path) {
  // A directory opens fine as an ifstream and only fails on read; say what it is.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, std::string("read error: ") + std::strerror(errno));
  return data;
}

// Decoded pixels as RGBA8 plus what the file itself carried.
struct Rgba {
  int width = 0;
  int height = 0;
  bool has_color = false;
  bool has_alpha = false;
  std::vector<uint8_t> pixels;  // width * height * 4
};

Rgba decode_rgba(const std::filesystem::path &path) {
  const std::vector<uint8_t> data = read_file(path);
  // Check the signature ourselves: libpng's message for a non-PNG file is cryptic.
  if (data.size() < 8 || png_sig_cmp(data.data(), 0, 8) != 0) {
    fail(path, data.empty() ? "not a PNG file (empty file)" : "not a PNG file (bad signature)");
  }

  PngImage png;
  if (!png_image_begin_read_from_memory(&png.image, data.data(), data.size())) {
    fail(path, std::string("corrupt PNG header: ") + png.image.message);
  }
  // Only valid after begin_read (which resets `flags`); see png.h.
  png.image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;

  Rgba out;
  out.width = static_cast<int>(png.image.width);
  out.height = static_cast<int>(png.image.height);
  out.has_color = (png.image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  out.has_alpha = (png.image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  // Read as RGBA so alpha is kept rather than composited; callers decide what to do with it.
  png.image.format = PNG_FORMAT_RGBA;
  // A few hundred bytes of PNG can claim a gigapixel image; refuse before allocating.
  const size_t pixels = static_cast<size_t>(png.image.width) * png.image.height;
  if (pixels > kMaxPixels) {
    fail(path, "image too large (" + std::to_string(png.image.width) + "x" +
                   std::to_string(png.image.height) + ", limit " + std::to_string(kMaxPixels) +
                   " pixels)");
  }
  out.pixels.resize(pixels * 4);
  const png_int_32 row_stride = static_cast<png_int_32>(png.image.width * 4);
  if (!png_image_finish_read(&png.image, nullptr, out.pixels.data(), row_stride, nullptr)) {
    fail(path, std::string("truncated or corrupt PNG: ") + png.image.message);
  }
  return out;
}

}  // namespace

Image read_image(const std::filesystem::path &path) {
  const Rgba rgba = decode_rgba(path);
  Image img;
  img.width = rgba.width;
  img.height = rgba.height;
  img.channels = 3;
  const size_t n = static_cast<size_t>(rgba.width) * rgba.height;
  img.pixels.resize(n * 3);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(&img.pixels[i * 3], &rgba.pixels[i * 4], 3);
  }
  return img;
}

Image read_mask(const std::filesystem::path &path) {
  const Rgba rgba = decode_rgba(path);
  Image image;
  image.width = rgba.width;
  image.height = rgba.height;
  image.channels = 4;
  image.pixels = rgba.pixels;
  return mask_from_rgba(image);
}

void write_png(const std::filesystem::path &path, const Image &image) {
  if (image.channels != 1 && image.channels != 3) {
    fail(path, "cannot write a PNG with " + std::to_string(image.channels) +
                   " channels (expected 1 or 3)");
  }
  if (image.width <= 0 || image.height <= 0) {
    fail(path, "cannot write an empty image (" + std::to_string(image.width) + "x" +
                   std::to_string(image.height) + ")");
  }
  const size_t expected = static_cast<size_t>(image.width) * image.height * image.channels;
  if (image.pixels.size() != expected) {
    fail(path, "image buffer holds " + std::to_string(image.pixels.size()) + " bytes, expected " +
                   std::to_string(expected));
  }

  PngImage png;
  png.image.width = static_cast<png_uint_32>(image.width);
  png.image.height = static_cast<png_uint_32>(image.height);
  png.image.format = image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  errno = 0;
  if (!png_image_write_to_file(&png.image, path.c_str(), 0, image.pixels.data(), 0, nullptr)) {
    // For an fopen failure libpng's message is strerror(errno) already.
    fail(path, std::string("cannot write PNG: ") + png.image.message);
  }
}

}  // namespace amused::media
