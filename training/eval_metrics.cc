#include "training/eval_metrics.h"

#include "training/stated_prompts.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "lab/amused_lab.h"
#include "media/video_reader.h"
#include "training/scene_data.h"
#include "training/scenes.h"
#include "training/stated_prompts.h"

namespace amused::train {

namespace {

double psnr_of_mse(double mse) { return 10.0 * std::log10(1.0 / std::max(mse, 1e-12)); }

// PsnrResult over images added one mean squared error at a time.
class PsnrSum {
 public:
  void add(double mse) {
    total_mse_ += mse;
    total_db_ += psnr_of_mse(mse);
    worst_db_ = std::min(worst_db_, psnr_of_mse(mse));
    ++images_;
  }
  PsnrResult result() const {
    PsnrResult r;
    r.images = images_;
    r.psnr_db = psnr_of_mse(total_mse_ / images_);
    r.mean_image_db = total_db_ / images_;
    r.worst_image_db = worst_db_;
    return r;
  }

 private:
  double total_mse_ = 0, total_db_ = 0, worst_db_ = 1e9;
  int images_ = 0;
};

// Flags of a CheckResult in kAttributeNames order.
std::array<bool, 10> flags(const scenes::CheckResult &r) {
  return {r.time,         r.celestial, r.clouds,   r.backdrop, r.ground, r.subject_present,
          r.subject_kind, r.colour,    r.position, r.size};
}

}  // namespace

PsnrResult vq_psnr(const Model &model, int count, uint64_t seed) {
  torch::InferenceMode inference;
  const int size = static_cast<int>(model.native_size());
  PsnrSum sum;
  constexpr int kBatch = 16;
  for (int first = 0; first < count; first += kBatch) {
    const int n = std::min(kBatch, count - first);
    auto images = scene_images(seed, DataStream::kVqEval, scenes::Split::kHeldout, first, n, size);
    auto tokens = pipeline::encode_to_tokens(model, images);
    auto decoded = pipeline::decode_tokens(model, tokens);
    // Through 8 bits, as a user sees the result.
    auto out = (decoded * 255.0f).round().clamp(0, 255) / 255.0f;
    auto in = (images * 255.0f).round() / 255.0f;
    auto mse = (out - in).pow(2).mean({1, 2, 3});
    for (int i = 0; i < n; ++i) sum.add(mse[i].item<double>());
  }
  return sum.result();
}

PsnrResult vq_psnr_pictures(const Model &model, const std::vector<Image> &pictures) {
  if (pictures.empty()) throw Error("vq_psnr_pictures: no pictures");
  torch::InferenceMode inference;
  PsnrSum sum;
  for (const Image &picture : pictures) {
    const Size size = fit_size(model, picture.width, picture.height);
    auto images = images_to_tensor({resize_image(picture, size.width, size.height)});
    auto decoded = pipeline::decode_tokens(model, pipeline::encode_to_tokens(model, images));
    auto out = (decoded * 255.0f).round().clamp(0, 255) / 255.0f;
    auto in = (images * 255.0f).round() / 255.0f;
    sum.add((out - in).pow(2).mean().item<double>());
  }
  return sum.result();
}

std::vector<std::filesystem::path> sample_clips(const std::filesystem::path &folder) {
  std::vector<std::filesystem::path> clips;
  for (const char *name :
       {"Effet_force_magnetique.ogv", "balle1-vp9.avi", "base_pal.mpg", "birds.mp4", "g1.avi"})
    clips.push_back(folder / name);
  return clips;
}

std::vector<Image> clip_frames(const std::vector<std::filesystem::path> &clips, int per_clip) {
  constexpr int kFirstFrames = 300;
  std::vector<Image> out;
  for (const auto &clip : clips) {
    std::vector<Image> frames;
    media::VideoReader reader(clip);
    Image frame;
    while (static_cast<int>(frames.size()) < kFirstFrames && reader.read(frame))
      frames.push_back(frame);
    if (frames.empty()) throw Error(clip.string() + ": no frames");
    const int n = static_cast<int>(frames.size()), take = std::min(per_clip, n);
    for (int i = 0; i < take; ++i) out.push_back(std::move(frames[size_t(i) * n / take]));
  }
  return out;
}

void AdherenceResult::add(AdherenceSample sample, bool keep) {
  const auto f = flags(sample.check);
  for (size_t a = 0; a < f.size(); ++a) {
    // Subject details count only where a subject is expected (as CheckResult counts).
    if (a >= 6 && sample.check.checked <= 6) continue;
    ++attribute_checked[a];
    attribute_correct[a] += f[a] ? 1 : 0;
  }
  checked += sample.check.checked;
  correct += sample.check.correct;
  ++images;
  if (keep) samples.push_back(std::move(sample));
}

scenes::SceneAttributes heldout_prompt(uint64_t prompt_seed, int index, scenes::Split split) {
  return scenes::sample_attributes(scene_seed(prompt_seed, DataStream::kAdherenceEval, index),
                                   split);
}

namespace {

// Prompt number `index` generated (seed = index) and checked against `expected`.
AdherenceSample generate_checked(const Model &model, const std::string &prompt,
                                 const scenes::SceneAttributes &expected, size_t index,
                                 const AdherenceOptions &o) {
  GenerateParams p;
  p.prompt = prompt;
  p.seed = static_cast<uint64_t>(index);
  p.steps = o.steps;
  p.guidance_scale = o.guidance_scale;
  p.temperature_start = o.temperature_start;
  p.temperature_end = o.temperature_end;
  Result generated = text_to_image(model, p);
  AdherenceSample s;
  s.prompt = p.prompt;
  s.seed = p.seed;
  s.image = std::move(generated.images[0]);
  s.check = scenes::check(s.image, expected);
  return s;
}

}  // namespace

void AdherenceResult::add_stated(AdherenceSample sample, const std::array<bool, 10> &stated,
                                 bool keep) {
  const auto f = flags(sample.check);
  const bool subject_expected = sample.check.checked > 6;
  for (size_t a = 0; a < f.size(); ++a) {
    if (!stated[a] || (a >= 6 && !subject_expected)) continue;
    ++attribute_checked[a];
    ++checked;
    if (f[a]) {
      ++attribute_correct[a];
      ++correct;
    }
  }
  ++images;
  if (keep) samples.push_back(std::move(sample));
}

AdherenceResult stated_prompt_adherence(const Model &model,
                                        const std::vector<StatedPrompt> &prompts,
                                        const AdherenceOptions &o) {
  AdherenceResult r;
  for (size_t i = 0; i < prompts.size(); ++i) {
    r.add_stated(generate_checked(model, prompts[i].prompt, prompts[i].expected, i, o),
                 prompts[i].stated, true);
    if (o.on_image) o.on_image(static_cast<int>(i + 1), static_cast<int>(prompts.size()));
  }
  return r;
}

AdherenceResult prompt_adherence(const Model &model, const AdherenceOptions &o) {
  AdherenceResult r;
  for (int i = 0; i < o.count; ++i) {
    const auto expected = heldout_prompt(o.prompt_seed, i, o.split);
    r.add(generate_checked(model, expected.to_caption(), expected, static_cast<size_t>(i), o),
          true);
    if (o.on_image) o.on_image(i + 1, o.count);
  }
  return r;
}

AdherenceResult prompt_ignoring_baseline(int count, int size, uint64_t prompt_seed) {
  AdherenceResult r;
  for (int i = 0; i < count; ++i) {
    const auto expected = heldout_prompt(prompt_seed, i);
    const uint64_t other = scene_seed(prompt_seed, DataStream::kTokenDataset, 1000000 + i);
    AdherenceSample s;
    s.check = scenes::check(
        scenes::render(scenes::sample_attributes(other, scenes::Split::kTrain), other, size, size),
        expected);
    r.add(std::move(s), false);
  }
  return r;
}

AdherenceResult vq_ceiling(const Model &model, int count, uint64_t prompt_seed) {
  torch::InferenceMode inference;
  const int size = static_cast<int>(model.native_size());
  AdherenceResult r;
  for (int i = 0; i < count; ++i) {
    const auto expected = heldout_prompt(prompt_seed, i);
    const uint64_t seed = scene_seed(prompt_seed, DataStream::kAdherenceEval, i);
    auto clean = images_to_tensor(std::vector<Image>{scenes::render(expected, seed, size, size)});
    auto decoded = pipeline::decode_tokens(model, pipeline::encode_to_tokens(model, clean));
    AdherenceSample s;
    s.check = scenes::check(pixels::tensor_to_image(decoded[0]), expected);
    r.add(std::move(s), false);
  }
  return r;
}

}  // namespace amused::train
