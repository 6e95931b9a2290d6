// diffusers' AmusedScheduler: MaskGIT decoding. Each step samples every token from the
// logits, keeps known tokens, and re-masks the least confident of the new ones (with
// gumbel noise scaled by a falling temperature) following a cosine or linear schedule.
// Arithmetic follows the reference in float32, step for step, and random numbers are
// drawn from the caller's generator in the reference's order, so seeds reproduce.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "checkpoint/json_config.h"

namespace amused::sampling {

enum class MaskSchedule { kCosine, kLinear };

struct SchedulerConfig {
  int64_t mask_token_id = 0;
  MaskSchedule masking_schedule = MaskSchedule::kCosine;

  static SchedulerConfig from_json(const checkpoint::JsonConfig &json);
  nlohmann::json to_json() const;
};

struct StepOutput {
  torch::Tensor prev_sample;           // [B,h,w] with re-masked tokens
  torch::Tensor pred_original_sample;  // [B,h,w] fully sampled
};

class AmusedScheduler {
 public:
  explicit AmusedScheduler(SchedulerConfig config) : config_(config) {}

  // timesteps = steps-1 .. 0; temperatures = linspace(start, end, steps).
  void set_timesteps(int64_t steps, double temperature_start = 2.0, double temperature_end = 0.0);
  void set_masking_schedule(MaskSchedule schedule) { config_.masking_schedule = schedule; }

  int64_t num_steps() const { return timesteps_.numel(); }
  int64_t timestep(int64_t index) const;
  const torch::Tensor &timesteps() const { return timesteps_; }
  const torch::Tensor &temperatures() const { return temperatures_; }
  const SchedulerConfig &config() const { return config_; }

  // Fraction of tokens still masked after step `step_index` (float32, as the reference).
  torch::Tensor mask_ratio(int64_t step_index) const;

  // logits [B,codebook,h,w], sample [B,h,w]. `starting_mask_ratio` scales the schedule
  // (the inpainting pipeline passes the masked fraction).
  StepOutput step(const torch::Tensor &logits, int64_t timestep, const torch::Tensor &sample,
                  at::Generator &generator,
                  const torch::Tensor &starting_mask_ratio = torch::Tensor()) const;

  // Masks each token independently with the schedule's ratio at `timestep` (img2img).
  torch::Tensor add_noise(const torch::Tensor &sample, int64_t timestep,
                          at::Generator &generator) const;

 private:
  int64_t step_index(int64_t timestep) const;

  SchedulerConfig config_;
  torch::Tensor timesteps_;
  torch::Tensor temperatures_;
};

}  // namespace amused::sampling
