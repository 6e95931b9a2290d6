#include "training/vq_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "amused.h"
#include "training/fsq.h"
#include "training/scene_data.h"
#include "training/train_checkpoint.h"
#include "training/train_progress.h"
#include "training/weight_init.h"

namespace amused::train {

namespace {

// The codebook and its moving averages.
struct Codebook {
  torch::Tensor weight;       // the module's parameter [K,D], unit rows
  torch::Tensor usage;        // EMA of assignments per step [K]
  torch::Tensor sums;         // EMA of the sum of assigned outputs [K,D]
  torch::Tensor initialised;  // 0 until the codes were set from data

  explicit Codebook(torch::Tensor w) : weight(std::move(w)) {
    usage = torch::zeros({weight.size(0)});
    sums = torch::zeros_like(weight);
    initialised = torch::zeros({1});
  }

  // First batch: codes drawn from the (normalised) outputs, as k-means initialisations do.
  void init_from(const torch::Tensor &z, at::Generator &gen) {
    const int64_t k = weight.size(0);
    auto pick = torch::randint(z.size(0), {k}, gen, torch::kLong);
    weight.copy_(z.index_select(0, pick));
    sums.copy_(weight);
    usage.fill_(1.0);
    initialised.fill_(1.0);
  }

  void ema_update(const torch::Tensor &z, const torch::Tensor &codes, double decay) {
    const int64_t k = weight.size(0);
    auto counts = torch::bincount(codes, {}, k).to(torch::kFloat32);
    auto assigned = torch::zeros_like(sums).index_add_(0, codes, z);
    usage.mul_(decay).add_(counts, 1.0 - decay);
    sums.mul_(decay).add_(assigned, 1.0 - decay);
    // Only the direction matters on the sphere; unused codes keep their place.
    auto norms = sums.norm(2, 1, true);
    auto moved = sums / norms.clamp_min(1e-12);
    weight.copy_(torch::where(norms > 1e-8, moved, weight));
  }

  // Codes used far less than average restart on random outputs of the batch.
  int64_t restart_dead(const torch::Tensor &z, double dead_share, at::Generator &gen) {
    const double mean = usage.mean().item<double>();
    auto dead = (usage < dead_share * mean).nonzero().flatten();
    const int64_t n = dead.numel();
    if (n == 0) return 0;
    auto pick = torch::randint(z.size(0), {n}, gen, torch::kLong);
    auto fresh = z.index_select(0, pick);
    weight.index_copy_(0, dead, fresh);
    sums.index_copy_(0, dead, fresh * mean);
    usage.index_fill_(0, dead, mean);
    return n;
  }
};

}  // namespace

StageResult train_vq(vq::VQModel &vq, const VqTrainOptions &o) {
  vq->train();
  set_conv_memory_format(*vq, torch::MemoryFormat::ChannelsLast);
  torch::Tensor &codebook_weight = vq->quantize->embedding->weight;
  codebook_weight.set_requires_grad(false);  // moved by moving averages, not by the optimizer
  std::vector<torch::Tensor> params;
  for (auto &p : vq->parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::Adam optimizer(params,
                               torch::optim::AdamOptions(o.lr.peak).betas({0.9, 0.99}).eps(1e-8));

  Codebook codebook(codebook_weight);
  const bool fsq = !o.fsq_levels.empty();
  std::unique_ptr<FsqGrid> grid;
  if (fsq) {
    grid = std::make_unique<FsqGrid>(o.fsq_levels);
    if (grid->size() != codebook_weight.size(0) || grid->dims() != codebook_weight.size(1))
      throw Error("FSQ levels give a " + std::to_string(grid->size()) + "x" +
                  std::to_string(grid->dims()) + " codebook, the VQ config " +
                  std::to_string(codebook_weight.size(0)) + "x" +
                  std::to_string(codebook_weight.size(1)));
    torch::NoGradGuard no_grad;
    codebook_weight.copy_(grid->codebook());
    codebook.initialised.fill_(1.0);
  }
  CheckpointContents contents;
  contents.modules = {{"vqvae", vq.get()}};
  contents.optimizer = &optimizer;
  contents.tensors = {{"codebook_usage", &codebook.usage},
                      {"codebook_sums", &codebook.sums},
                      {"codebook_initialised", &codebook.initialised}};
  CheckpointedRun run("vq", o.checkpoint, contents, o.resume);
  RunPosition &pos = run.position();

  TrainProgress progress("vq", 30.0, o.quiet ? nullptr : stderr);
  double smoothed = std::nan(""), smoothed_mse = std::nan("");
  int64_t restarted = 0;

  while (!o.budget.done(pos.step, run.elapsed()) &&
         (o.stop_at_step == 0 || pos.step < o.stop_at_step)) {
    const double fraction = o.budget.fraction(pos.step, run.elapsed());
    const double lr = o.lr.at(pos.step, fraction);
    set_learning_rate<torch::optim::AdamOptions>(optimizer, lr);

    auto x = vq_batch(o.seed, pos.step, o.batch, o.render_size, o.crop, o.photos, o.photo_share)
                 .contiguous(torch::MemoryFormat::ChannelsLast);
    auto z = vq->encode(x);
    const auto b = z.size(0), d = z.size(1), h = z.size(2), w = z.size(3);
    auto flat = z.permute({0, 2, 3, 1}).reshape({-1, d});
    // Per-step randomness, so a resumed run continues exactly as an uninterrupted one.
    auto gen =
        at::make_generator<at::CPUGeneratorImpl>((o.seed ^ 0x5651ull) * 1000003ull + pos.step);
    torch::Tensor zq, q, codes;  // what is quantized, its codes' vectors, their indices
    if (fsq) {
      zq = flat;
      q = grid->quantize(zq);
    } else {
      zq = torch::nn::functional::normalize(flat,
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
      {
        torch::NoGradGuard no_grad;
        if (codebook.initialised.item<float>() == 0.0f) codebook.init_from(zq.detach(), gen);
        codes = torch::matmul(zq.detach(), codebook_weight.t()).argmax(1);
      }
      q = codebook_weight.index_select(0, codes);
    }
    // A learned codebook needs the commitment term to keep the encoder near its codes. An
    // FSQ grid must not have it: pulling each channel to its nearest level holds a channel
    // that starts inside the middle level's cell there, and the default VQ ended with two
    // of its four channels constant, 40 of its 1000 codes in use. For FSQ the term only
    // pulls back what lies beyond the grid's [-1, 1], where rounding no longer changes.
    auto commit =
        fsq ? (zq - zq.clamp(-1.0, 1.0)).pow(2).sum(1).mean() : (zq - q).pow(2).sum(1).mean();
    auto q_st = zq + (q - zq).detach();  // straight-through gradient to the encoder
    auto xr = vq->decode_latents(q_st.view({b, h, w, d}).permute({0, 3, 1, 2}));
    auto mse = torch::mse_loss(xr, x);
    auto loss = mse + o.l1_weight * torch::l1_loss(xr, x) + o.commitment * commit;

    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    optimizer.step();
    if (!fsq) {
      torch::NoGradGuard no_grad;
      codebook.ema_update(zq.detach(), codes, o.ema_decay);
      if ((pos.step + 1) % o.restart_every == 0)
        restarted += codebook.restart_dead(zq.detach(), o.dead_usage, gen);
    }
    ++pos.step;

    const double l = loss.item<double>(), m = mse.item<double>();
    smooth(smoothed, l, 0.98);
    smooth(smoothed_mse, m, 0.98);
    const double elapsed = run.elapsed();
    const std::string metrics = reconstruction_metrics(smoothed, smoothed_mse, lr) + " restarts " +
                                std::to_string(restarted);
    progress.update(pos.step, o.budget.fraction(pos.step, elapsed), elapsed, metrics);
    run.save_every(o.checkpoint_seconds);
  }
  progress.finish();
  if (!fsq) {
    torch::NoGradGuard no_grad;
    codebook_weight.div_(codebook_weight.norm(2, 1, true).clamp_min(1e-12));
  }
  run.save();
  set_conv_memory_format(*vq, torch::MemoryFormat::Contiguous);
  codebook_weight.set_requires_grad(true);
  vq->eval();
  return {pos.step, pos.elapsed_seconds, smoothed};
}

}  // namespace amused::train
