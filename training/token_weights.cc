#include "training/token_weights.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "training/scene_data.h"
#include "training/scene_layout.h"
#include "training/scenes.h"

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

scenes::SceneAttributes without_celestial(scenes::SceneAttributes a) {
  a.celestial = scenes::Celestial::kNone;
  return a.normalized();
}

scenes::SceneAttributes without_subject(scenes::SceneAttributes a) {
  a.subject = scenes::SubjectKind::kNone;
  return a.normalized();
}

// Clouds keep clear of the sun or moon, so the scene without it also differs where a cloud
// would have stood: only pixels inside the disc count. The frame is square, so u and v are
// both in image heights.
torch::Tensor disc_pixels(const scenes::SceneAttributes &a, uint64_t seed, int image_size) {
  const auto p = scenes::celestial_placement(a, seed);
  if (!p.visible) return torch::zeros({image_size, image_size}, torch::kBool);
  const auto centre = (torch::arange(image_size, torch::kFloat32) + 0.5) / double(image_size);
  const auto dv = (centre - p.v).view({image_size, 1}), du = (centre - p.u).view({1, image_size});
  const double reach = p.radius + 1.0 / image_size;  // the anti-aliased rim
  return (dv * dv + du * du) <= reach * reach;
}

torch::Tensor all_pixels(const scenes::SceneAttributes &, uint64_t, int image_size) {
  return torch::ones({image_size, image_size}, torch::kBool);
}

// Per scene, the share of each token's pixels where the scene differs from `strip` of it,
// among the pixels `region` allows.
template <typename Strip, typename Region>
torch::Tensor differing_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid,
                                        Strip strip, Region region) {
  auto out = torch::empty({count, grid, grid}, torch::kFloat32);
  // A pixel belongs to an object when a channel moves by more than this (8-bit levels):
  // well above the anti-aliasing of shared edges, well below any object's contrast.
  constexpr int kThreshold = 12;
  at::parallel_for(0, count, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint64_t s = scene_seed(seed, DataStream::kTokenDataset, i);
      const auto a = scenes::sample_attributes(s, scenes::Split::kTrain);
      const Image full = scenes::render(a, s, image_size, image_size);
      const Image plain = scenes::render(strip(a), s, image_size, image_size);
      auto f = torch::from_blob(const_cast<uint8_t *>(full.pixels.data()),
                                {image_size, image_size, 3}, torch::kUInt8)
                   .to(torch::kInt16);
      auto p = torch::from_blob(const_cast<uint8_t *>(plain.pixels.data()),
                                {image_size, image_size, 3}, torch::kUInt8)
                   .to(torch::kInt16);
      auto differs = ((f - p).abs().amax(2) > kThreshold)
                         .logical_and(region(a, s, image_size))
                         .to(torch::kFloat32);
      out[i].copy_(torch::adaptive_avg_pool2d(differs.unsqueeze(0), {grid, grid})[0]);
    }
  });
  return out;
}

}  // namespace

torch::Tensor object_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid) {
  return differing_token_fractions(seed, count, image_size, grid, bare, all_pixels);
}

torch::Tensor celestial_token_fractions(uint64_t seed, int64_t count, int image_size,
                                        int64_t grid) {
  return differing_token_fractions(seed, count, image_size, grid, without_celestial, disc_pixels);
}

torch::Tensor subject_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid) {
  return differing_token_fractions(seed, count, image_size, grid, without_subject, all_pixels);
}

torch::Tensor grown_shares(const torch::Tensor &shares, int64_t reach) {
  if (reach <= 0) return shares;
  return torch::max_pool2d(shares.unsqueeze(1), 2 * reach + 1, 1, reach).squeeze(1);
}

torch::Tensor extra_token_weights(uint64_t seed, int64_t count, int image_size, int64_t grid,
                                  const ExtraTokenWeights &w) {
  torch::Tensor sum;
  auto add = [&](double weight, const torch::Tensor &shares) {
    sum = sum.defined() ? sum + weight * shares : weight * shares;
  };
  if (w.celestial > 0) add(w.celestial, celestial_token_fractions(seed, count, image_size, grid));
  if (w.subject > 0)
    add(w.subject,
        grown_shares(subject_token_fractions(seed, count, image_size, grid), w.subject_reach));
  return sum;
}

}  // namespace amused::train
