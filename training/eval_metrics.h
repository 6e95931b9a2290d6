// The figures the README reports for a model: VQ reconstruction PSNR on held-out scenes,
// and prompt adherence of generated images on held-out attribute combinations, read back by
// the scene checker. Everything is computed over fixed seeds, so reruns agree.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "amused.h"
#include "training/scene_checker.h"
#include "training/scenes.h"

namespace amused::train {

struct PsnrResult {
  int images = 0;
  double psnr_db = 0;         // of the mean squared error over all images (8-bit output)
  double worst_image_db = 0;  // the lowest per-image PSNR
  double mean_image_db = 0;   // mean of per-image PSNRs
};

// Encodes `count` held-out scenes at the model's native size to tokens and decodes them,
// exactly as img2img/inpainting/stylization do, and compares the 8-bit results.
PsnrResult vq_psnr(const Model &model, int count, uint64_t seed = 0);

// The same for real pictures of any size: each is resized to the model's pixel count with its
// aspect kept (fit_size, as stylization fits footage) before it is encoded and decoded, and
// compared at that size.
PsnrResult vq_psnr_pictures(const Model &model, const std::vector<Image> &pictures);

// Up to `per_clip` frames of each clip, evenly spaced over its first 300 (the sample clips
// in tests/data/footage are that short). Throws amused::Error naming a clip that does not
// decode.
std::vector<Image> clip_frames(const std::vector<std::filesystem::path> &clips, int per_clip);

// The public sample clips of tests/data/footage (not the ones derived from them), under
// `folder`.
std::vector<std::filesystem::path> sample_clips(const std::filesystem::path &folder);

// The checker's attributes, in CheckResult's order.
inline constexpr std::array<const char *, 10> kAttributeNames = {
    "time",    "celestial",    "clouds", "backdrop", "ground",
    "subject", "subject_kind", "colour", "position", "size"};

// The index of an attribute in kAttributeNames (and in AdherenceResult's arrays); a name
// that is not there does not compile where it is used as a constant.
constexpr size_t attribute_index(std::string_view name) {
  for (size_t i = 0; i < kAttributeNames.size(); ++i)
    if (name == kAttributeNames[i]) return i;
  throw std::invalid_argument("no attribute named " + std::string(name));
}

struct AdherenceSample {
  std::string prompt;
  uint64_t seed = 0;
  Image image;
  scenes::CheckResult check;
};

struct AdherenceResult {
  int images = 0;
  int checked = 0, correct = 0;  // over all attributes of all images
  std::array<int, 10> attribute_checked{}, attribute_correct{};
  std::vector<AdherenceSample> samples;  // in order (images kept for the grid)

  void add(AdherenceSample sample, bool keep);
  // Counts only the attributes in `stated` (kAttributeNames order), and subject details
  // only where a subject is expected.
  void add_stated(AdherenceSample sample, const std::array<bool, 10> &stated, bool keep);

  double fraction() const { return checked ? double(correct) / checked : 0.0; }
  double attribute_fraction(size_t i) const {
    return attribute_checked[i] ? double(attribute_correct[i]) / attribute_checked[i] : 0.0;
  }
};

struct AdherenceOptions {
  int count = 200;  // held-out prompts, one image each (seed = its index)
  int steps = 12;
  std::optional<double> guidance_scale;                   // unset: the model's recommended scale
  double temperature_start = 2.0, temperature_end = 0.0;  // the sampler's (AmusedPipeline's)
  uint64_t prompt_seed = 0;                               // which held-out combinations
  // Held-out combinations (the figure); the train split shows what the model memorised.
  scenes::Split split = scenes::Split::kHeldout;
  std::function<void(int done, int total)> on_image;
};

// The held-out prompt number `index` of the evaluation (fixed by `prompt_seed`).
scenes::SceneAttributes heldout_prompt(uint64_t prompt_seed, int index,
                                       scenes::Split split = scenes::Split::kHeldout);

AdherenceResult prompt_adherence(const Model &model, const AdherenceOptions &options);

struct StatedPrompt;  // stated_prompts.h
// Prompts written by hand: one image each (seed = its index, options.count ignored), checked
// on the attributes the prompt states.
AdherenceResult stated_prompt_adherence(const Model &model,
                                        const std::vector<StatedPrompt> &prompts,
                                        const AdherenceOptions &options);

// The score of a model that draws perfect scenes but ignores the prompt: clean renders of
// random train scenes, checked against the same held-out prompts (no images kept).
AdherenceResult prompt_ignoring_baseline(int count, int size, uint64_t prompt_seed = 0);

// The ceiling the VQ sets: clean renders of the held-out prompts, encoded to tokens and
// decoded, checked against their own attributes (what a perfect transformer would score).
AdherenceResult vq_ceiling(const Model &model, int count, uint64_t prompt_seed = 0);

}  // namespace amused::train
