// Seconds per image for an aMUSEd architecture built from its published config with random
// weights (no download needed), the transformer's achieved GFLOP/s, and a plain fp32 matmul
// through libtorch's BLAS path and through its oneDNN path, all measured in one run, plus
// peak RSS. Prints figures; never passes or fails on time.
//
//   amused-bench-image [--config bench/configs/amused-256] [--steps 12] [--guidance 10]
//                      [--runs 2] [--precision fp32|bf16|both] [--threads N]
#include <ATen/ops/mkldnn_linear.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "amused.h"
#include "amused_build_config.h"
#include "checkpoint/json_config.h"
#include "flops.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"

namespace {

using namespace amused;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double peak_rss_gib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);
}

template <typename F>
double best_of(int runs, F &&fn) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    fn();
    best = std::min(best, seconds_since(t));
  }
  return best;
}

void matmul_figures(int runs) {
  torch::NoGradGuard no_grad;
  // A U-ViT feed-forward shape: 512 tokens (CFG batch 2 x 16x16) x 1024 -> 2816.
  const int64_t n = 512, k = 1024, m = 2816;
  auto x = torch::randn({n, k}), w = torch::randn({m, k});
  const double flops = 2.0 * n * k * m;
  auto blas = best_of(runs * 5, [&] { torch::mm(x, w.t()); });
  auto onednn = best_of(runs * 5, [&] { at::mkldnn_linear(x.to_mkldnn(), w, {}).to_dense(); });
  auto xb = x.to(torch::kBFloat16), wb = w.to(torch::kBFloat16);
  auto bf16 = best_of(runs * 5, [&] { torch::linear(xb, wb); });
  std::printf("| matmul %ldx%ldx%ld fp32, BLAS (torch::mm) | %.1f GFLOP/s |\n", n, k, m,
              flops / blas / 1e9);
  std::printf("| matmul %ldx%ldx%ld fp32, oneDNN (mkldnn_linear) | %.1f GFLOP/s |\n", n, k, m,
              flops / onednn / 1e9);
  std::printf("| matmul %ldx%ldx%ld bf16 (oneDNN) | %.1f GFLOP/s |\n", n, k, m, flops / bf16 / 1e9);
}

void image_figures(const std::filesystem::path &config_dir, Precision precision, int steps,
                   double guidance, int runs) {
  auto t_build = Clock::now();
  auto text = text::ClipTextConfig::from_json(
      checkpoint::JsonConfig::load(config_dir / "text_encoder/config.json"));
  auto uvit = transformer::UVit2DConfig::from_json(
      checkpoint::JsonConfig::load(config_dir / "transformer/config.json"));
  auto vqc =
      vq::VQConfig::from_json(checkpoint::JsonConfig::load(config_dir / "vqvae/config.json"));
  auto sched = sampling::SchedulerConfig::from_json(
      checkpoint::JsonConfig::load(config_dir / "scheduler/scheduler_config.json"));
  LoadOptions options;
  options.precision = precision;
  auto model = Model::create(std::filesystem::path(AMUSED_TESTS_DATA_DIR) / "clip-tokenizer", text,
                             uvit, vqc, sched, 0, options);
  model->prepare_for_inference();
  const char *name = precision == Precision::kBFloat16 ? "bf16" : "fp32";
  std::printf("| %s: build %s architecture (%.1f M params) | %.1f s |\n", name,
              config_dir.filename().c_str(), model->parameter_count() / 1e6,
              seconds_since(t_build));

  torch::InferenceMode guard;
  GenerateParams p;
  p.prompt = "a photo of an astronaut riding a horse on mars";
  p.steps = steps;
  p.guidance_scale = guidance;
  const int64_t size = model->native_size(), grid = size / model->vae_scale_factor();
  text_to_image(*model, p);  // warm-up: first-call allocations and oneDNN primitive caches
  const double image = best_of(runs, [&] { text_to_image(*model, p); });

  auto cond = pipeline::make_conditioning(*model, p, 1, size, size);
  auto latents = torch::full({1, grid, grid}, sched.mask_token_id, torch::kLong);
  const double forward = best_of(runs * 2, [&] { pipeline::guided_logits(*model, cond, latents); });
  const double flops = bench::uvit_forward_flops(uvit, cond.cfg ? 2 : 1, grid, grid);
  const double decode = best_of(
      runs, [&] { pipeline::decode_tokens(*model, latents.clamp_max(vqc.num_vq_embeddings - 1)); });
  auto ids = torch::tensor(model->tokenizer().encode_padded(p.prompt)).unsqueeze(0);
  const double text_s = best_of(runs * 2, [&] { model->text_encoder()->forward(ids); });

  std::printf("| %s: %ldx%ld image, %d steps, guidance %.0f | %.2f s |\n", name, size, size, steps,
              guidance, image);
  std::printf("| %s: transformer forward (batch %d) | %.3f s, %.1f GFLOP/s |\n", name,
              cond.cfg ? 2 : 1, forward, flops / forward / 1e9);
  std::printf("| %s: VQ decode | %.3f s |\n", name, decode);
  std::printf("| %s: text encoder | %.3f s |\n", name, text_s);
  std::printf("| %s: peak RSS so far | %.2f GiB |\n", name, peak_rss_gib());
}

}  // namespace

int main(int argc, char **argv) {
  std::filesystem::path config = std::filesystem::path(AMUSED_BENCH_DIR) / "configs" / "amused-256";
  int steps = 12, runs = 2, threads = 0;
  double guidance = 10;
  std::string precision = "both";
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "amused-bench-image: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    std::string a = argv[i];
    if (a == "--config")
      config = next();
    else if (a == "--steps")
      steps = std::stoi(next());
    else if (a == "--guidance")
      guidance = std::stod(next());
    else if (a == "--runs")
      runs = std::stoi(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--precision")
      precision = next();
    else {
      std::fprintf(stderr, "amused-bench-image: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  try {
    amused::set_num_threads(threads);
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| threads | %d |\n", at::get_num_threads());
    matmul_figures(runs);
    if (precision == "fp32" || precision == "both")
      image_figures(config, Precision::kFloat32, steps, guidance, runs);
    if (precision == "bf16" || precision == "both")
      image_figures(config, Precision::kBFloat16, steps, guidance, runs);
    std::printf("| peak RSS | %.2f GiB |\n", peak_rss_gib());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "amused-bench-image: %s\n", e.what());
    return 1;
  }
  return 0;
}
