// amused-scene-sheet: a contact sheet PNG of generated training scenes, with their captions
// under each tile and printed to stdout (one "seed<TAB>caption" line per scene).
//
//   amused-scene-sheet --count 24 --split heldout --out sheet.png
//   amused-scene-sheet --wide --count 4 --out panoramas.png     # 4x wide pan renders
//   amused-scene-sheet --check                                   # also score the checker
#include <cairo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "training/cairo_util.h"
#include "training/scene_checker.h"
#include "training/scenes.h"

namespace {

using namespace amused::scenes;

struct Options {
  int count = 24;
  int columns = 6;
  uint64_t seed = 0;
  Split split = Split::kTrain;
  int size = 128;
  int scale = 2;
  bool wide = false;
  bool check = false;
  std::string out = "scene_sheet.png";
};

[[noreturn]] void usage(const char *argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--count N] [--columns C] [--seed S] [--split train|heldout]\n"
               "          [--size PX] [--scale K] [--wide] [--check] [--out FILE.png]\n"
               "Renders N scenes (seeds S, S+1, ...) into a contact sheet with captions and\n"
               "prints 'seed<TAB>caption' per scene. --wide renders 4x wide panoramas, one per\n"
               "row; --check appends the attribute checker's score on each clean render.\n",
               argv0);
  std::exit(code);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0], 2);
      return argv[++i];
    };
    if (a == "--count") {
      o.count = std::stoi(value());
    } else if (a == "--columns") {
      o.columns = std::stoi(value());
    } else if (a == "--seed") {
      o.seed = std::stoull(value());
    } else if (a == "--split") {
      const std::string s = value();
      if (s != "train" && s != "heldout") usage(argv[0], 2);
      o.split = s == "train" ? Split::kTrain : Split::kHeldout;
    } else if (a == "--size") {
      o.size = std::stoi(value());
    } else if (a == "--scale") {
      o.scale = std::stoi(value());
    } else if (a == "--wide") {
      o.wide = true;
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--help" || a == "-h") {
      usage(argv[0], 0);
    } else {
      usage(argv[0], 2);
    }
  }
  if (o.count < 1 || o.columns < 1 || o.size < 32 || o.scale < 1) usage(argv[0], 2);
  if (o.wide) o.columns = 1;
  return o;
}

int run(const Options &o) {
  const int img_w = o.wide ? 4 * o.size : o.size, img_h = o.size;
  const int tile_w = img_w * o.scale, tile_h = img_h * o.scale;
  constexpr double kFont = 11.0, kLine = 13.0;
  const int caption_h = int(kLine * (o.wide ? 2 : 5) + 6);
  const int rows = (o.count + o.columns - 1) / o.columns;
  const int pad = 6;
  SurfacePtr sheet =
      make_surface(o.columns * (tile_w + pad) + pad, rows * (tile_h + caption_h + pad) + pad);
  CairoPtr cr = make_context(sheet.get());
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr.get(), kFont);

  double total_fraction = 0;
  for (int i = 0; i < o.count; ++i) {
    const uint64_t seed = o.seed + uint64_t(i);
    const SceneAttributes a = sample_attributes(seed, o.split);
    const amused::Image img = render(a, seed, img_w, img_h);
    std::cout << seed << '\t' << a.to_caption();
    if (o.check) {
      const CheckResult r = check(o.wide ? render(a, seed, o.size, o.size) : img, a);
      total_fraction += r.fraction;
      std::cout << "\tcheck=" << r.fraction << (r.wrong().empty() ? "" : " wrong=" + r.wrong());
    }
    std::cout << '\n';

    const int col = i % o.columns, row = i / o.columns;
    const double x = pad + col * (tile_w + pad), y = pad + row * (tile_h + caption_h + pad);
    SurfacePtr tile = image_to_surface(img);
    cairo_save(cr.get());
    cairo_translate(cr.get(), x, y);
    cairo_scale(cr.get(), o.scale, o.scale);
    cairo_set_source_surface(cr.get(), tile.get(), 0, 0);
    // Nearest-neighbour magnification shows the pixels the model will see.
    cairo_pattern_set_filter(cairo_get_source(cr.get()), CAIRO_FILTER_NEAREST);
    cairo_paint(cr.get());
    cairo_restore(cr.get());

    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    double ty = y + tile_h + kLine;
    const std::string label = std::to_string(seed) + ": " + a.to_caption();
    for (const std::string &line : wrap(cr.get(), label, tile_w)) {
      cairo_move_to(cr.get(), x, ty);
      cairo_show_text(cr.get(), line.c_str());
      ty += kLine;
    }
  }
  write_png(sheet.get(), o.out);
  if (o.check) std::cerr << "mean check fraction: " << total_fraction / o.count << '\n';
  std::cerr << "wrote " << o.out << '\n';
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception &e) {
    std::cerr << "amused-scene-sheet: " << e.what() << '\n';
    return 1;
  }
}
