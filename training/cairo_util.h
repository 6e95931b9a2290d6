// RAII ownership of cairo objects and conversions between cairo surfaces and amused::Image.
#pragma once

#include <cairo.h>

#include <memory>
#include <string>
#include <vector>

#include "amused.h"
#include "training/scene_palette.h"

namespace amused::scenes {

struct CairoDeleter {
  void operator()(cairo_t *cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t *s) const { cairo_surface_destroy(s); }
  void operator()(cairo_pattern_t *p) const { cairo_pattern_destroy(p); }
};
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using PatternPtr = std::unique_ptr<cairo_pattern_t, CairoDeleter>;

// An opaque RGB24 image surface; throws amused::Error if cairo cannot create it.
SurfacePtr make_surface(int width, int height);
// A drawing context on `surface`; throws amused::Error on failure.
CairoPtr make_context(cairo_surface_t *surface);

// Packed 8-bit RGB copy of an RGB24 / ARGB32 surface (alpha is dropped).
Image surface_to_image(cairo_surface_t *surface);
// RGB24 surface holding a copy of a 3-channel image.
SurfacePtr image_to_surface(const Image &image);

// Writes the surface as PNG; throws amused::Error naming the path on failure.
void write_png(cairo_surface_t *surface, const std::string &path);

// `text` broken into lines no wider than `width` in the context's current font, greedily
// (cairo's toy text API has no layout of its own).
std::vector<std::string> wrap(cairo_t *cr, const std::string &text, double width);

// Colour helpers taking 0..255 components.
void set_source(cairo_t *cr, const Rgb &c);
void add_stop(cairo_pattern_t *p, double offset, const Rgb &c);

}  // namespace amused::scenes
