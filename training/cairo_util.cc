#include "training/cairo_util.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>

namespace amused::scenes {

namespace {
double unit(double c) { return std::clamp(c / 255.0, 0.0, 1.0); }
}  // namespace

SurfacePtr make_surface(int width, int height) {
  if (width <= 0 || height <= 0) {
    throw Error("scene surface size must be positive, got " + std::to_string(width) + "x" +
                std::to_string(height));
  }
  SurfacePtr s(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(std::string("cairo cannot create a surface: ") +
                cairo_status_to_string(cairo_surface_status(s.get())));
  }
  return s;
}

CairoPtr make_context(cairo_surface_t *surface) {
  CairoPtr cr(cairo_create(surface));
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(std::string("cairo cannot create a context: ") +
                cairo_status_to_string(cairo_status(cr.get())));
  }
  return cr;
}

Image surface_to_image(cairo_surface_t *surface) {
  cairo_surface_flush(surface);
  Image img;
  img.width = cairo_image_surface_get_width(surface);
  img.height = cairo_image_surface_get_height(surface);
  img.channels = 3;
  img.pixels.resize(size_t(img.width) * img.height * 3);
  const int stride = cairo_image_surface_get_stride(surface);
  const unsigned char *data = cairo_image_surface_get_data(surface);
  for (int y = 0; y < img.height; ++y) {
    const auto *row = reinterpret_cast<const uint32_t *>(data + size_t(y) * stride);
    uint8_t *out = img.pixels.data() + size_t(y) * img.width * 3;
    for (int x = 0; x < img.width; ++x) {
      // RGB24/ARGB32 pixels are native-endian 32-bit words 0x??RRGGBB; our surfaces are
      // opaque, so premultiplication does not matter.
      const uint32_t p = row[x];
      out[3 * x + 0] = uint8_t(p >> 16);
      out[3 * x + 1] = uint8_t(p >> 8);
      out[3 * x + 2] = uint8_t(p);
    }
  }
  return img;
}

SurfacePtr image_to_surface(const Image &image) {
  if (image.channels != 3 || image.pixels.size() != size_t(image.width) * image.height * 3) {
    throw Error("image_to_surface needs a packed RGB image");
  }
  SurfacePtr s = make_surface(image.width, image.height);
  cairo_surface_flush(s.get());
  const int stride = cairo_image_surface_get_stride(s.get());
  unsigned char *data = cairo_image_surface_get_data(s.get());
  for (int y = 0; y < image.height; ++y) {
    auto *row = reinterpret_cast<uint32_t *>(data + size_t(y) * stride);
    const uint8_t *in = image.pixels.data() + size_t(y) * image.width * 3;
    for (int x = 0; x < image.width; ++x) {
      row[x] = 0xFF000000u | uint32_t(in[3 * x]) << 16 | uint32_t(in[3 * x + 1]) << 8 |
               uint32_t(in[3 * x + 2]);
    }
  }
  cairo_surface_mark_dirty(s.get());
  return s;
}

void write_png(cairo_surface_t *surface, const std::string &path) {
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  if (st != CAIRO_STATUS_SUCCESS) {
    throw Error("cannot write PNG " + path + ": " + cairo_status_to_string(st));
  }
}

void set_source(cairo_t *cr, const Rgb &c) {
  cairo_set_source_rgb(cr, unit(c.r), unit(c.g), unit(c.b));
}

void add_stop(cairo_pattern_t *p, double offset, const Rgb &c) {
  cairo_pattern_add_color_stop_rgb(p, offset, unit(c.r), unit(c.g), unit(c.b));
}

std::vector<std::string> wrap(cairo_t *cr, const std::string &text, double width) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string word, line;
  while (in >> word) {
    const std::string trial = line.empty() ? word : line + " " + word;
    cairo_text_extents_t ext;
    cairo_text_extents(cr, trial.c_str(), &ext);
    if (ext.x_advance > width && !line.empty()) {
      lines.push_back(line);
      line = word;
    } else {
      line = trial;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace amused::scenes
