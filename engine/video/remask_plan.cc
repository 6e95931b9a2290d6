#include "video/remask_plan.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "video/token_grid_ops.h"

namespace amused::video {

int partial_steps(int full_steps, double fraction, int min_steps) {
  const int n = static_cast<int>(std::ceil(full_steps * fraction));
  return std::clamp(n, std::min(std::max(min_steps, 1), full_steps), full_steps);
}

torch::Tensor random_cells(at::IntArrayRef shape, double fraction, uint64_t seed,
                           int64_t frame_index) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 0x9E3779B97F4A7C15ull + 0x5eedull +
                                                      static_cast<uint64_t>(frame_index));
  auto draw = torch::rand(shape, gen, torch::TensorOptions().dtype(torch::kFloat32));
  return draw < fraction;
}

RemaskPlan plan_generated_frame(const torch::Tensor &revealed, int64_t frame_index,
                                const KeyframeRule &rule, uint64_t seed, int boundary,
                                int full_steps, int min_steps) {
  RemaskPlan plan;
  plan.region = revealed.to(torch::kBool);
  if (rule.interval > 0 && frame_index % rule.interval == 0) {
    plan.region =
        plan.region |
        random_cells(revealed.sizes(), rule.fraction, seed, frame_index).to(revealed.device());
    plan.keyframe = true;
  }
  plan.mask = dilate(plan.region, boundary);
  plan.count = plan.mask.sum().item<int64_t>();
  const double fraction = static_cast<double>(plan.count) / static_cast<double>(plan.mask.numel());
  plan.steps = plan.count > 0 ? partial_steps(full_steps, fraction, min_steps) : 0;
  return plan;
}

RemaskPlan plan_restyled_frame(const torch::Tensor &changed, const torch::Tensor &allowed,
                               double strength, uint64_t seed, int64_t frame_index, int boundary,
                               int full_steps) {
  RemaskPlan plan;
  plan.keyframe = !changed.defined();
  plan.region = plan.keyframe ? allowed : (dilate(changed, boundary) & allowed);
  plan.mask = plan.region &
              random_cells(plan.region.sizes(), strength, seed, frame_index).to(allowed.device());
  if (strength <= 0) return plan;
  plan.count = plan.mask.sum().item<int64_t>();
  if (plan.count == 0) return plan;
  const double fraction =
      plan.keyframe ? strength
                    : static_cast<double>(plan.count) / static_cast<double>(plan.mask.numel());
  plan.steps = partial_steps(full_steps, fraction, 3);
  return plan;
}

}  // namespace amused::video
