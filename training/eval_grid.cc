#include "training/eval_grid.h"

#include <cairo.h>
#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "lab/amused_lab.h"
#include "training/cairo_util.h"
#include "training/scene_data.h"

namespace amused::train {

void write_grid(const std::vector<AdherenceSample> &samples, int count, int columns, int scale,
                const std::string &path) {
  using namespace scenes;
  count = std::min<int>(count, static_cast<int>(samples.size()));
  if (count <= 0) throw Error("write_grid: no images");
  const int img = samples[0].image.width;
  const int tile = img * scale, pad = 8;
  constexpr double kFont = 11.0, kLine = 13.0;
  const int caption_h = int(kLine * 5 + 4);
  columns = std::min(columns, count);
  const int rows = (count + columns - 1) / columns;
  SurfacePtr sheet =
      make_surface(columns * (tile + pad) + pad, rows * (tile + caption_h + pad) + pad);
  CairoPtr cr = make_context(sheet.get());
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr.get(), kFont);
  for (int i = 0; i < count; ++i) {
    const AdherenceSample &s = samples[i];
    const double x = pad + (i % columns) * (tile + pad);
    const double y = pad + (i / columns) * (tile + caption_h + pad);
    SurfacePtr picture = image_to_surface(s.image);
    cairo_save(cr.get());
    cairo_translate(cr.get(), x, y);
    cairo_scale(cr.get(), scale, scale);
    cairo_set_source_surface(cr.get(), picture.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr.get()), CAIRO_FILTER_NEAREST);
    cairo_paint(cr.get());
    cairo_restore(cr.get());
    double ty = y + tile + kLine;
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    for (const std::string &line : wrap(cr.get(), s.prompt, tile)) {
      cairo_move_to(cr.get(), x, ty);
      cairo_show_text(cr.get(), line.c_str());
      ty += kLine;
    }
    const std::string wrong = s.check.wrong();
    cairo_set_source_rgb(cr.get(), wrong.empty() ? 0.0 : 0.7, wrong.empty() ? 0.45 : 0.0, 0.0);
    cairo_move_to(cr.get(), x, ty);
    cairo_show_text(cr.get(), wrong.empty() ? "checker: all right" : ("wrong: " + wrong).c_str());
  }
  write_png(sheet.get(), path);
}

void write_reconstructions(const Model &model, int count, const std::string &path) {
  using namespace scenes;
  torch::InferenceMode inference;
  const int size = static_cast<int>(model.native_size()), scale = 2, pad = 4;
  auto images = scene_images(0, DataStream::kVqEval, Split::kHeldout, 0, count, size);
  auto decoded = pipeline::decode_tokens(model, pipeline::encode_to_tokens(model, images));
  SurfacePtr sheet =
      make_surface(count * (size * scale + pad) + pad, 2 * (size * scale + pad) + pad);
  CairoPtr cr = make_context(sheet.get());
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  for (int row = 0; row < 2; ++row) {
    for (int i = 0; i < count; ++i) {
      SurfacePtr tile =
          image_to_surface(pixels::tensor_to_image(row == 0 ? images[i] : decoded[i]));
      cairo_save(cr.get());
      cairo_translate(cr.get(), pad + i * (size * scale + pad), pad + row * (size * scale + pad));
      cairo_scale(cr.get(), scale, scale);
      cairo_set_source_surface(cr.get(), tile.get(), 0, 0);
      cairo_pattern_set_filter(cairo_get_source(cr.get()), CAIRO_FILTER_NEAREST);
      cairo_paint(cr.get());
      cairo_restore(cr.get());
    }
  }
  write_png(sheet.get(), path);
}

}  // namespace amused::train
