#include "tools/train/token_weights.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "tools/train/scene_data.h"
#include "tools/train/scenes.h"

namespace amused::train {

namespace {

// The scene with only its sky and ground: time of day and ground kept, everything else off.
scenes::SceneAttributes bare(scenes::SceneAttributes a) {
  a.celestial = scenes::Celestial::kNone;
  a.clouds = false;
  a.backdrop = scenes::Backdrop::kNone;
  a.subject = scenes::SubjectKind::kNone;
  return a.normalized();
}

}  // namespace

torch::Tensor object_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid) {
  auto out = torch::empty({count, grid, grid}, torch::kFloat32);
  // A pixel belongs to an object when a channel moves by more than this (8-bit levels):
  // well above the anti-aliasing of shared edges, well below any object's contrast.
  constexpr int kThreshold = 12;
  at::parallel_for(0, count, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint64_t s = scene_seed(seed, DataStream::kTokenDataset, i);
      const auto a = scenes::sample_attributes(s, scenes::Split::kTrain);
      const Image full = scenes::render(a, s, image_size, image_size);
      const Image plain = scenes::render(bare(a), s, image_size, image_size);
      auto f = torch::from_blob(const_cast<uint8_t *>(full.pixels.data()),
                                {image_size, image_size, 3}, torch::kUInt8)
                   .to(torch::kInt16);
      auto p = torch::from_blob(const_cast<uint8_t *>(plain.pixels.data()),
                                {image_size, image_size, 3}, torch::kUInt8)
                   .to(torch::kInt16);
      auto differs = ((f - p).abs().amax(2) > kThreshold).to(torch::kFloat32);
      out[i].copy_(torch::adaptive_avg_pool2d(differs.unsqueeze(0), {grid, grid})[0]);
    }
  });
  return out;
}

}  // namespace amused::train
