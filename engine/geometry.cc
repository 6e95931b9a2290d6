// Model geometry, decided once here: what sizes a model makes and the size it works at for
// any picture. The elements and the command line ask; they never recompute it.
#include <algorithm>
#include <cmath>

#include "amused.h"
#include "pipeline/model.h"

namespace amused {

namespace {

// Larger grids run (the U-ViT has no position embedding) but cost quadratically.
constexpr int kMaxSize = 4096;

int size_multiple(const Model &model) {
  return static_cast<int>(model.vae_scale_factor()) *
         (model.transformer()->config().downsample ? 2 : 1);
}

}  // namespace

ModelInfo describe(const Model &model) {
  ModelInfo info;
  info.dir = model.dir();
  info.native_width = info.native_height = static_cast<int>(model.native_size());
  info.vae_scale_factor = static_cast<int>(model.vae_scale_factor());
  info.size_multiple = size_multiple(model);
  info.max_size = kMaxSize / info.size_multiple * info.size_multiple;
  info.codebook_size = static_cast<int>(model.transformer()->config().codebook_size);
  info.mask_token_id = static_cast<int>(model.scheduler_config().mask_token_id);
  info.downsample = model.transformer()->config().downsample;
  info.parameters = model.parameter_count();
  info.device = model.device().str();
  info.precision = to_string(model.options().precision);
  info.default_guidance_scale = model.generation_defaults().guidance_scale;
  return info;
}

void check_size(const Model &model, int width, int height) {
  const int step = size_multiple(model);
  auto check = [&](const char *what, int v) {
    if (v <= 0 || v % step != 0 || v > kMaxSize)
      throw Error(std::string(what) + " " + std::to_string(v) +
                  " is not a size this model can make: it must be a positive multiple of " +
                  std::to_string(step) + " pixels, at most " + std::to_string(kMaxSize) +
                  " (native size " + std::to_string(model.native_size()) + ")");
  };
  check("width", width);
  check("height", height);
}

Size fit_size(const Model &model, int width, int height, double work_scale) {
  if (width <= 0 || height <= 0)
    throw Error("cannot fit a " + std::to_string(width) + "x" + std::to_string(height) +
                " picture: both sides must be positive");
  if (!(work_scale > 0.0 && work_scale <= 16.0))
    throw Error("work scale " + std::to_string(work_scale) + " is outside (0, 16]");
  const int step = size_multiple(model);
  const int largest = kMaxSize / step * step;
  const double native = static_cast<double>(model.native_size());
  const double area = native * native * work_scale;
  const double aspect = static_cast<double>(width) / height;
  auto fit = [&](double v) {
    return std::clamp(static_cast<int>(std::lround(v / step)) * step, step, largest);
  };
  return {fit(std::sqrt(area * aspect)), fit(std::sqrt(area / aspect))};
}

}  // namespace amused
