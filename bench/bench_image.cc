// Seconds per image for an aMUSEd architecture, per precision, with where the time goes:
// text encoder, each part of the transformer, scheduler, VQ decode, conversions (--profile),
// the transformer's achieved GFLOP/s, peak RSS, and plain matrix products in the same run as
// an anchor for the machine. Prints figures; never passes or fails on time.
//
//   amused-bench-image [--config bench/configs/amused-256 | --model DIR]
//                      [--precision fp32,bf16,int8] [--steps 12] [--guidance 10]
//                      [--runs 2] [--threads N] [--profile] [--no-matmuls]
//   amused-bench-image --save-random DIR [--config ...]
//   amused-bench-image --agreement --model DIR [--precision bf16,int8]
//
// --config builds the architecture from its published config with random weights (no
// download needed); --save-random writes those weights as a diffusers folder (fp16 files),
// and --model loads such a folder as a user would, which is what peak RSS should measure:
// built in place, the fp32 random weights would set it. Lines starting with RESULT and
// PROFILE are for bench/compare-reference.sh.
#include <ATen/ops/mkldnn_linear.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "amused.h"
#include "amused_build_config.h"
#include "flops.h"
#include "lab/amused_lab.h"
#include "nn/packed_linear.h"
#include "util/profiler.h"
#include "util/thread_scope.h"

namespace {

using namespace amused;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

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

// A U-ViT feed-forward shape: 512 tokens (CFG batch 2 x 16x16) x 1024 -> 2816, through each
// path the engine can take.
void matmul_figures(int runs) {
  torch::NoGradGuard no_grad;
  const int64_t n = 512, k = 1024, m = 2816;
  auto x = torch::randn({n, k}), w = torch::randn({m, k}) * 0.02;
  const double flops = 2.0 * n * k * m;
  auto row = [&](const char *what, double seconds) {
    std::printf("| matmul %ldx%ldx%ld %s | %.0f GFLOP/s |\n", n, k, m, what, flops / seconds / 1e9);
  };
  row("fp32, BLAS (torch::mm)", best_of(runs * 5, [&] { torch::mm(x, w.t()); }));
  row("fp32, oneDNN (mkldnn_linear)",
      best_of(runs * 5, [&] { at::mkldnn_linear(x.to_mkldnn(), w, {}).to_dense(); }));
  auto xb = x.to(torch::kBFloat16), wb = w.to(torch::kBFloat16);
  row("bf16, torch::linear", best_of(runs * 5, [&] { torch::linear(xb, wb); }));
  nn::PackedLinear bf16(w, {}, nn::PackedType::kBFloat16), int8(w, {}, nn::PackedType::kInt8);
  row("bf16, packed (engine)", best_of(runs * 5, [&] { bf16.forward(x); }));
  row("int8, packed (engine, with quantization)", best_of(runs * 5, [&] { int8.forward(x); }));
}

struct Configs {
  text::ClipTextConfig text;
  transformer::UVit2DConfig uvit;
  vq::VQConfig vq;
  sampling::SchedulerConfig scheduler;
};

Configs read_configs(const fs::path &dir) {
  using checkpoint::JsonConfig;
  return {text::ClipTextConfig::from_json(JsonConfig::load(dir / "text_encoder/config.json")),
          transformer::UVit2DConfig::from_json(JsonConfig::load(dir / "transformer/config.json")),
          vq::VQConfig::from_json(JsonConfig::load(dir / "vqvae/config.json")),
          sampling::SchedulerConfig::from_json(
              JsonConfig::load(dir / "scheduler/scheduler_config.json"))};
}

std::shared_ptr<Model> random_model(const fs::path &config_dir, Precision precision) {
  const Configs c = read_configs(config_dir);
  LoadOptions options;
  options.precision = precision;
  // The real CLIP vocabulary, from the default model's folder.
  auto model = lab::create_model(default_model_dir() / "tokenizer", c.text, c.uvit, c.vq,
                                 c.scheduler, 0, options);
  model->prepare_for_inference();
  return model;
}

struct Options {
  fs::path config = fs::path(AMUSED_BENCH_DIR) / "configs" / "amused-256";
  fs::path model;
  std::vector<std::string> precisions{"fp32", "bf16", "int8"};
  int steps = 12, runs = 2, threads = 0;
  double guidance = 10;
  bool profile = false, matmuls = true, agreement = false;
};

std::shared_ptr<const Model> load_or_build(const Options &o, Precision precision) {
  if (o.model.empty()) return random_model(o.config, precision);
  LoadOptions options;
  options.precision = precision;
  return load_model(o.model, options);
}

// How closely each fast precision follows fp32 on the same weights: the cosine similarity
// of one step's logits (a half-masked grid, guidance on) and the share of identical tokens
// in the final grids of a whole image from the same seed.
void agreement_figures(const Options &o) {
  torch::InferenceMode guard;
  auto reference = load_or_build(o, Precision::kFloat32);
  GenerateParams p;
  p.prompt = "a photo of an astronaut riding a horse on mars";
  p.steps = o.steps;
  p.guidance_scale = o.guidance;
  const int64_t size = reference->native_size(), grid = size / reference->vae_scale_factor();
  torch::manual_seed(0);
  auto latents =
      torch::randint(0, reference->transformer()->config().codebook_size, {1, grid, grid});
  latents.masked_fill_(torch::rand({1, grid, grid}) < 0.5,
                       reference->scheduler_config().mask_token_id);
  auto logits_of = [&](const Model &m) {
    return pipeline::guided_logits(m, pipeline::make_conditioning(m, p, 1, size, size), latents)
        .to(torch::kFloat64)
        .flatten();
  };
  const auto want = logits_of(*reference);
  const auto want_tokens = text_to_image(*reference, p).tokens[0].ids;
  // The VQ decoder alone: the same full grid of tokens decoded by each precision.
  const auto codes =
      torch::randint(0, reference->transformer()->config().codebook_size, {1, grid, grid});
  const auto want_pixels = pipeline::decode_tokens(*reference, codes);
  std::printf(
      "| precision | logits cosine to fp32 (one step) | identical tokens after %d steps | "
      "VQ decode PSNR to fp32 (same tokens) |\n"
      "|---|---|---|---|\n",
      o.steps);
  for (const auto &name : o.precisions) {
    const Precision precision = parse_precision(name);
    if (precision == Precision::kFloat32) continue;
    auto model = load_or_build(o, precision);
    const auto got = logits_of(*model);
    const double cosine = (got.dot(want) / (got.norm() * want.norm())).item<double>();
    const auto tokens = text_to_image(*model, p).tokens[0].ids;
    size_t same = 0;
    for (size_t i = 0; i < tokens.size(); ++i) same += tokens[i] == want_tokens[i];
    const double mse =
        (pipeline::decode_tokens(*model, codes) - want_pixels).pow(2).mean().item<double>();
    const double psnr = 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
    std::printf("| %s | %.5f | %.1f%% | %.1f dB |\n", name.c_str(), cosine,
                100.0 * same / static_cast<double>(tokens.size()), psnr);
    std::printf("AGREEMENT precision=%s cosine=%.6f identical=%.4f decode_psnr=%.2f\n",
                name.c_str(), cosine, same / static_cast<double>(tokens.size()), psnr);
  }
}

void image_figures(const Options &o, Precision precision) {
  const char *name = to_string(precision);
  const auto t_load = Clock::now();
  std::shared_ptr<const Model> model = load_or_build(o, precision);
  const std::string source = o.model.empty() ? o.config.filename().string() + " (built)"
                                             : o.model.filename().string() + " (loaded)";
  std::printf("| %s: %s, %.1f M params | %.1f s, peak RSS %.2f GiB |\n", name, source.c_str(),
              model->parameter_count() / 1e6, seconds_since(t_load), peak_rss_gib());

  torch::InferenceMode guard;
  GenerateParams p;
  p.prompt = "a photo of an astronaut riding a horse on mars";
  p.steps = o.steps;
  p.guidance_scale = o.guidance;
  const int64_t size = model->native_size(), grid = size / model->vae_scale_factor();
  text_to_image(*model, p);  // first-call allocations and oneDNN primitive caches
  const double image = best_of(o.runs, [&] { text_to_image(*model, p); });

  auto cond = pipeline::make_conditioning(*model, p, 1, size, size);
  auto latents =
      torch::full({1, grid, grid}, model->scheduler_config().mask_token_id, torch::kLong);
  const double forward =
      best_of(o.runs * 2, [&] { pipeline::guided_logits(*model, cond, latents); });
  const double flops =
      bench::uvit_forward_flops(model->transformer()->config(), cond.cfg ? 2 : 1, grid, grid);
  const int64_t codes = model->transformer()->config().codebook_size;
  const double decode =
      best_of(o.runs, [&] { pipeline::decode_tokens(*model, latents.clamp_max(codes - 1)); });

  std::printf("| %s: %ldx%ld image, %d steps, guidance %.0f | %.2f s |\n", name, size, size,
              o.steps, o.guidance, image);
  std::printf("| %s: transformer forward (batch %d) | %.3f s, %.0f GFLOP/s |\n", name,
              cond.cfg ? 2 : 1, forward, flops / forward / 1e9);
  std::printf("| %s: VQ decode | %.3f s |\n", name, decode);
  const RecyclingStats cache = recycling_stats();
  std::printf("| %s: peak RSS so far | %.2f GiB (recycling cache holds %.2f GiB) |\n", name,
              peak_rss_gib(), cache.cached_bytes / double(1 << 30));
  std::printf("RESULT precision=%s image_s=%.3f forward_s=%.4f decode_s=%.4f peak_rss_gib=%.3f\n",
              name, image, forward, decode, peak_rss_gib());

  if (o.profile) {
    Profiler profiler;
    const auto start = Clock::now();
    text_to_image(*model, p);
    const double total = seconds_since(start);
    std::printf("\n| %s: one image, by part | seconds | share | calls |\n|---|---|---|---|\n",
                name);
    for (const auto &e : profiler.entries()) {
      std::printf("| %s | %.3f | %.1f%% | %ld |\n", e.name.c_str(), e.seconds,
                  100.0 * e.seconds / total, e.calls);
      std::printf("PROFILE precision=%s seconds=%.4f part=%s\n", name, e.seconds, e.name.c_str());
    }
    std::printf("| total | %.3f | 100%% | |\n\n", total);
  }
}

int save_random(const Options &o, const fs::path &out) {
  auto model = random_model(o.config, Precision::kFloat32);
  lab::save_model(*model, out, /*fp16=*/true);
  std::printf("wrote %s (random weights of %s, fp16 files)\n", out.c_str(), o.config.c_str());
  return 0;
}

std::vector<std::string> split(const std::string &list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  fs::path save_to;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "amused-bench-image: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    const std::string a = argv[i];
    if (a == "--config")
      o.config = next();
    else if (a == "--model")
      o.model = next();
    else if (a == "--save-random")
      save_to = next();
    else if (a == "--steps")
      o.steps = std::stoi(next());
    else if (a == "--guidance")
      o.guidance = std::stod(next());
    else if (a == "--runs")
      o.runs = std::stoi(next());
    else if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--precision")
      o.precisions = split(next() == "all" ? "fp32,bf16,int8" : argv[i]);
    else if (a == "--profile")
      o.profile = true;
    else if (a == "--no-matmuls")
      o.matmuls = false;
    else if (a == "--agreement")
      o.agreement = true;
    else {
      std::fprintf(stderr, "amused-bench-image: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  try {
    RuntimeOptions runtime;
    runtime.threads = o.threads;
    configure_runtime(runtime);
    ThreadScope threads(o.threads);
    if (!save_to.empty()) return save_random(o, save_to);
    if (o.agreement) {
      agreement_figures(o);
      return 0;
    }
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| threads | %d |\n", at::get_num_threads());
    if (o.matmuls) matmul_figures(o.runs);
    for (const auto &name : o.precisions) image_figures(o, parse_precision(name));
    std::printf("| peak RSS | %.2f GiB |\n", peak_rss_gib());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "amused-bench-image: %s\n", e.what());
    return 1;
  }
  return 0;
}
