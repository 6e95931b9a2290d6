// The warm-up pass the elements run before their first frame, and the frame-time estimate
// it gives. The first transformer step and the first decode carry one-time costs (kernel
// selection, weight packing, the allocator's first blocks): on a busy machine they are
// many times a steady step, so the estimate takes the last step's time, not the average, and
// the second decode's.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include "amused.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "util/thread_scope.h"
#include "video/remask_plan.h"

namespace amused {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Runs the first steps of a full generation at `size`, then a decode (and an encode when
// `with_encode`), and measures them.
FrameEstimate measure(const Model &model, GenerateParams g, Size size, bool with_encode,
                      const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  check_size(model, size.width, size.height);
  if (g.steps < 1) throw Error("steps must be at least 1, got " + std::to_string(g.steps));
  const int steps = std::min(g.steps, 3);
  const int64_t scale = model.vae_scale_factor();
  auto cond = pipeline::make_conditioning(model, g, 1, size.width, size.height);
  sampling::AmusedScheduler scheduler(model.scheduler_config());
  scheduler.set_timesteps(steps, g.temperature_start, g.temperature_end);
  auto generator = pipeline::make_generator(g.seed);
  auto latents = torch::full({1, size.height / scale, size.width / scale},
                             model.scheduler_config().mask_token_id,
                             torch::TensorOptions().dtype(torch::kLong).device(model.device()));
  std::vector<Clock::time_point> marks{Clock::now()};
  RunControl timed = control;
  timed.on_step = [&](int step, int total) {
    marks.push_back(Clock::now());
    if (control.on_step) control.on_step(step, total);
  };
  auto tokens = pipeline::run_steps(model, cond, latents, scheduler, generator, timed);
  FrameEstimate e;
  e.step_seconds = seconds_between(marks[marks.size() - 2], marks.back());
  auto decode = [&] {
    const auto before = Clock::now();
    auto image = pipeline::decode_tokens(model, tokens);
    if (with_encode) pipeline::encode_to_tokens(model, image);
    return seconds_between(before, Clock::now());
  };
  decode();  // the first carries the decoder's one-time costs
  e.decode_seconds = decode();
  return e;
}

// Runs `measure` on a thread of its own that ends with it. libgomp keeps the OpenMP team
// of every thread that ever ran a parallel region until that thread exits, and once it
// keeps more threads than there are cores, every team's threads sleep in the kernel
// between parallel regions instead of spinning. An element warms up on the application's
// thread and then computes on its streaming thread: with the warm-up's team still alive,
// frames took 1.5x as long on 2 cores.
FrameEstimate measure_on_own_thread(const Model &model, const GenerateParams &g, Size size,
                                    bool with_encode, const RunControl &control) {
  FrameEstimate e;
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      e = measure(model, g, size, with_encode, control);
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
  return e;
}

}  // namespace

FrameEstimate warm_up(const std::shared_ptr<const Model> &model, const VideoParams &params,
                      const RunControl &control) {
  if (!model) throw Error("warm_up: no model");
  const GenerateParams &g = params.generate;
  const Size size{g.width ? g.width : static_cast<int>(model->native_size()),
                  g.height ? g.height : static_cast<int>(model->native_size())};
  FrameEstimate e = measure_on_own_thread(*model, g, size, false, control);
  e.frame_seconds = e.step_seconds * g.steps + e.decode_seconds;
  return e;
}

FrameEstimate warm_up(const std::shared_ptr<const Model> &model, const StylizeParams &params,
                      Size source, const RunControl &control) {
  if (!model) throw Error("warm_up: no model");
  const Size work = fit_size(*model, source.width, source.height, params.work_scale);
  FrameEstimate e = measure_on_own_thread(*model, params.generate, work, true, control);
  const int steps = video::partial_steps(params.generate.steps, params.strength, 3);
  e.frame_seconds = e.step_seconds * steps + e.decode_seconds;
  return e;
}

}  // namespace amused
