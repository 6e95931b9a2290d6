// amused-train-bench: times training steps of the default architecture (and variants) on
// random data, to size the model for the 90-minute budget. Prints one line per variant.
//
//   amused-train-bench transformer --batch 64 --hidden 192 --layers 6 [--bf16]
//   amused-train-bench vq --batch 16 --crop 64 [--bf16]
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "amused.h"
#include "lab/amused_lab.h"
#include "training/model_configs.h"
#include "training/transformer_trainer.h"
#include "training/weight_init.h"

namespace {

using namespace amused;
using Clock = std::chrono::steady_clock;

double now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

struct Args {
  std::map<std::string, std::string> values;
  bool has(const std::string &k) const { return values.count(k) > 0; }
  double get(const std::string &k, double d) const { return has(k) ? std::stod(values.at(k)) : d; }
};

void autocast(bool on) {
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(on);
  if (!on) at::autocast::clear_cache();
}

int run(const std::string &what, const Args &a) {
  auto cfg = train::model_configs(a.has("--preset") ? a.values.at("--preset") : "default");
  auto &u = cfg.uvit;
  u.hidden_size = int64_t(a.get("--hidden", double(u.hidden_size)));
  u.num_hidden_layers = int64_t(a.get("--layers", double(u.num_hidden_layers)));
  u.num_attention_heads = int64_t(a.get("--heads", double(u.num_attention_heads)));
  u.intermediate_size = int64_t(a.get("--ff", double(u.intermediate_size)));
  u.block_out_channels = int64_t(a.get("--block", double(u.block_out_channels)));
  u.in_channels = int64_t(a.get("--in", double(u.in_channels)));
  u.num_res_blocks = int64_t(a.get("--res", double(u.num_res_blocks)));
  u.sample_size = int64_t(a.get("--grid", double(u.sample_size)));  // token grid side
  if (a.has("--nodown")) {
    u.downsample = u.upsample = false;
  }
  cfg.vq.num_vq_embeddings = int64_t(a.get("--codes", double(cfg.vq.num_vq_embeddings)));
  u.codebook_size = cfg.vq.num_vq_embeddings;
  u.vocab_size = u.codebook_size + 1;
  cfg.scheduler.mask_token_id = u.codebook_size;
  cfg.text.num_hidden_layers = int64_t(a.get("--text-layers", double(cfg.text.num_hidden_layers)));
  if (a.has("--vq-ch")) {
    cfg.vq.block_out_channels.clear();
    std::string list = a.values.at("--vq-ch");
    for (size_t p = 0; p < list.size();) {
      size_t q = list.find(',', p);
      cfg.vq.block_out_channels.push_back(std::stoll(list.substr(p, q - p)));
      p = q == std::string::npos ? list.size() : q + 1;
    }
  }
  cfg.vq.layers_per_block = int64_t(a.get("--lpb", double(cfg.vq.layers_per_block)));
  const int batch = int(a.get("--batch", 64));
  const int steps = int(a.get("--steps", 5));
  const bool bf16 = a.has("--bf16");
  auto model =
      lab::create_model(a.has("--tokenizer") ? a.values.at("--tokenizer") : "train-work/tokenizer",
                        cfg.text, u, cfg.vq, cfg.scheduler, 0);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  if (what == "transformer") {
    auto te = model->text_encoder();
    auto uv = model->transformer();
    std::vector<torch::Tensor> params = te->parameters();
    for (auto &p : uv->parameters()) params.push_back(p);
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-4));
    int64_t n = 0;
    for (auto &p : uv->parameters()) n += p.numel();
    auto tokens =
        torch::randint(u.codebook_size, {batch, u.sample_size, u.sample_size}, gen, torch::kLong);
    auto ids = torch::randint(49406, {batch, 77}, gen, torch::kLong);
    double fwd = 0, bwd = 0, step = 0;
    // --profile FILE: a chrome trace of the timed steps (where a step's time goes, per op).
    std::unique_ptr<std::ofstream> trace_file;
    std::unique_ptr<torch::autograd::profiler::RecordProfile> trace;
    for (int i = 0; i < steps + 1; ++i) {
      if (i == 1 && a.has("--profile")) {
        trace_file = std::make_unique<std::ofstream>(a.values.at("--profile"));
        trace = std::make_unique<torch::autograd::profiler::RecordProfile>(*trace_file);
      }
      const double t0 = now();
      autocast(bf16);
      auto loss = train::masked_token_loss(te, uv, ids, tokens, 128, gen);
      autocast(false);
      const double t1 = now();
      opt.zero_grad();
      loss.backward();
      const double t2 = now();
      opt.step();
      const double t3 = now();
      if (i == 0) continue;  // warm-up
      fwd += t1 - t0;
      bwd += t2 - t1;
      step += t3 - t2;
    }
    trace.reset();
    std::printf(
        "transformer uvit_params=%.2fM batch=%d hidden=%lld layers=%lld block=%lld "
        "res=%lld bf16=%d: %.3f s/step (fwd %.3f bwd %.3f opt %.3f)\n",
        n / 1e6, batch, (long long)u.hidden_size, (long long)u.num_hidden_layers,
        (long long)u.block_out_channels, (long long)u.num_res_blocks, bf16,
        (fwd + bwd + step) / steps, fwd / steps, bwd / steps, step / steps);
  } else if (what == "vq") {
    auto vq = model->vqvae();
    train::init_convolutions_fan_in(*vq, 1);
    const int crop = int(a.get("--crop", 64));
    const bool channels_last = a.has("--channels-last");
    if (channels_last) {
      torch::NoGradGuard no_grad;
      for (auto &p : vq->parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    torch::optim::Adam opt(vq->parameters(), torch::optim::AdamOptions(1e-4));
    auto x = torch::rand({batch, 3, crop, crop}, gen);
    if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    double total = 0;
    for (int i = 0; i < steps + 1; ++i) {
      const double t0 = now();
      autocast(bf16);
      auto xr = vq->decode_latents(vq->encode(x));
      auto loss = torch::mse_loss(xr.to(torch::kFloat32), x);
      autocast(false);
      opt.zero_grad();
      loss.backward();
      opt.step();
      if (i) total += now() - t0;
    }
    int64_t n = 0;
    for (auto &p : vq->parameters()) n += p.numel();
    std::printf(
        "vq params=%.2fM batch=%d crop=%d bf16=%d channels_last=%d: %.3f s/step, %.1f crops/s\n",
        n / 1e6, batch, crop, bf16, channels_last, total / steps, batch * steps / total);
    torch::InferenceMode inf;
    vq->eval();
    auto img = torch::rand({32, 3, 128, 128}, gen);
    const double t0 = now();
    for (int i = 0; i < 3; ++i) vq->quantize->nearest_indices(vq->encode(img));
    std::printf("vq encode 128x128: %.1f images/s\n", 96 / (now() - t0));
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: amused-train-bench transformer|vq [--key value | --flag]...\n");
    return 2;
  }
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      a.values[k] = argv[++i];
    else
      a.values[k] = "1";
  }
  amused::lab::use_process_threads(a.has("--threads") ? int(a.get("--threads", 0)) : 0);
  try {
    return run(argv[1], a);
  } catch (const std::exception &e) {
    std::cerr << "amused-train-bench: " << e.what() << '\n';
    return 1;
  }
}
