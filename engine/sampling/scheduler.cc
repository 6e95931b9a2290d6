#include "sampling/scheduler.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "amused.h"
#include "sampling/categorical_draw.h"

namespace amused::sampling {

SchedulerConfig SchedulerConfig::from_json(const checkpoint::JsonConfig &j) {
  SchedulerConfig c;
  c.mask_token_id = j.get_int("mask_token_id");
  const std::string schedule = j.get_string("masking_schedule", "cosine");
  if (schedule == "cosine")
    c.masking_schedule = MaskSchedule::kCosine;
  else if (schedule == "linear")
    c.masking_schedule = MaskSchedule::kLinear;
  else
    throw Error(j.describe("masking_schedule",
                           "unknown schedule '" + schedule + "' (expected cosine or linear)"));
  return c;
}

nlohmann::json SchedulerConfig::to_json() const {
  return {{"_class_name", "AmusedScheduler"},
          {"_diffusers_version", "0.27.2"},
          {"mask_token_id", mask_token_id},
          {"masking_schedule", masking_schedule == MaskSchedule::kCosine ? "cosine" : "linear"}};
}

void AmusedScheduler::set_timesteps(int64_t steps, double t_start, double t_end) {
  if (steps < 1) throw Error("scheduler: steps must be at least 1, got " + std::to_string(steps));
  timesteps_ = torch::arange(steps, torch::kLong).flip(0);
  temperatures_ = torch::linspace(t_start, t_end, steps, torch::kFloat32);
}

int64_t AmusedScheduler::timestep(int64_t index) const { return timesteps_[index].item<int64_t>(); }

int64_t AmusedScheduler::step_index(int64_t timestep) const {
  const int64_t n = num_steps();
  if (timestep < 0 || timestep >= n)
    throw Error("scheduler: timestep " + std::to_string(timestep) + " is outside 0.." +
                std::to_string(n - 1));
  return n - 1 - timestep;
}

torch::Tensor AmusedScheduler::mask_ratio(int64_t index) const {
  // (step_idx + 1) / len in float32, then cos(r * pi / 2) or 1 - r, all in float32.
  auto ratio = torch::full({1, 1}, static_cast<float>(index + 1), torch::kFloat32) /
               static_cast<float>(num_steps());
  if (config_.masking_schedule == MaskSchedule::kCosine) return torch::cos(ratio * M_PI / 2);
  return 1 - ratio;
}

StepOutput AmusedScheduler::step(const torch::Tensor &logits, int64_t timestep,
                                 const torch::Tensor &sample_in, at::Generator &generator,
                                 const torch::Tensor &starting_mask_ratio) const {
  const auto b = logits.size(0), codebook = logits.size(1), h = logits.size(2), w = logits.size(3);
  auto sample = sample_in.reshape({b, h * w});
  auto output = logits.reshape({b, codebook, h * w}).permute({0, 2, 1});
  auto unknown = sample == config_.mask_token_id;

  auto probs = output.softmax(-1);
  auto probs_cpu = probs.to(torch::kCPU, torch::kFloat32).reshape({-1, codebook});
  auto pred = draw_categorical(probs_cpu, generator).to(probs.device());
  pred = pred.select(1, 0).view({b, h * w});
  pred = torch::where(unknown, pred, sample);

  StepOutput out;
  if (timestep == 0) {
    out.prev_sample = pred;
  } else {
    const int64_t idx = step_index(timestep);
    auto ratio = mask_ratio(idx).to(probs.device());
    if (starting_mask_ratio.defined()) ratio = starting_mask_ratio.to(probs.device()) * ratio;
    auto mask_len = (static_cast<float>(h * w) * ratio).floor();
    mask_len = torch::min(unknown.sum(-1, true) - 1, mask_len);
    mask_len = torch::max(torch::ones({1}, mask_len.options()), mask_len);

    auto selected = torch::gather(probs, -1, pred.unsqueeze(-1)).select(-1, 0);
    selected = torch::where(unknown, selected,
                            torch::full({}, std::numeric_limits<float>::max(), selected.options()));
    // mask_by_random_topk: confidence = log p + temperature * gumbel noise.
    auto noise = torch::zeros_like(selected, selected.options().device(torch::kCPU))
                     .uniform_(0, 1, generator)
                     .to(selected.device());
    auto gumbel = -torch::log((-torch::log(noise.clamp_min(1e-20))).clamp_min(1e-20));
    auto temperature = temperatures_.index({idx}).to(selected.device());
    auto confidence = torch::log(selected.clamp_min(1e-20)) + temperature * gumbel;
    auto sorted = std::get<0>(torch::sort(confidence, -1));
    auto cut_off = torch::gather(sorted, 1, mask_len.to(torch::kLong));
    auto masking = confidence < cut_off;
    out.prev_sample =
        torch::where(masking, torch::full({}, config_.mask_token_id, pred.options()), pred);
  }
  out.prev_sample = out.prev_sample.reshape({b, h, w});
  out.pred_original_sample = pred.reshape({b, h, w});
  return out;
}

torch::Tensor AmusedScheduler::add_noise(const torch::Tensor &sample, int64_t timestep,
                                         at::Generator &generator) const {
  auto ratio = mask_ratio(step_index(timestep));
  auto draw = torch::rand(sample.sizes(), generator, torch::TensorOptions().dtype(torch::kFloat32));
  auto mask = (draw < ratio.reshape({})).to(sample.device());
  return sample.masked_fill(mask, config_.mask_token_id);
}

}  // namespace amused::sampling
