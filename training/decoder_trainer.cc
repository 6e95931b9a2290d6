#include "training/decoder_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "training/photo_library.h"
#include "training/scene_data.h"
#include "training/train_checkpoint.h"
#include "training/train_progress.h"

namespace amused::train {

namespace {

// Scenes of this stage come after every index the VQ stage can draw from the same stream,
// so the decoder sees new pictures.
constexpr int64_t kFirstScene = 100'000'000;

}  // namespace

StageResult train_vq_decoder(vq::VQModel &vq, const DecoderTrainOptions &o) {
  std::vector<torch::Tensor> frozen, params;
  for (auto &p : vq->encoder->parameters()) frozen.push_back(p);
  for (auto &p : vq->quant_conv->parameters()) frozen.push_back(p);
  for (auto &p : vq->quantize->parameters()) frozen.push_back(p);
  for (auto &p : vq->post_quant_conv->parameters()) params.push_back(p);
  for (auto &p : vq->decoder->parameters()) params.push_back(p);
  for (auto &p : frozen) p.set_requires_grad(false);
  vq->eval();  // the frozen half runs in inference mode; the decoder below in training mode
  vq->post_quant_conv->train();
  vq->decoder->train();

  torch::optim::Adam optimizer(params,
                               torch::optim::AdamOptions(o.lr.peak).betas({0.9, 0.99}).eps(1e-8));
  CheckpointContents contents;
  contents.modules = {{"vqvae", vq.get()}};
  contents.optimizer = &optimizer;
  CheckpointedRun run("decoder", o.checkpoint, contents, o.resume);
  RunPosition &pos = run.position();

  TrainProgress progress("decoder", 30.0, o.quiet ? nullptr : stderr);
  double smoothed = std::nan(""), smoothed_mse = std::nan("");
  while (!o.budget.done(pos.step, run.elapsed())) {
    const double fraction = o.budget.fraction(pos.step, run.elapsed());
    const double lr = o.lr.at(pos.step, fraction);
    set_learning_rate<torch::optim::AdamOptions>(optimizer, lr);

    const int64_t first = kFirstScene + pos.step * o.batch;
    auto x =
        scene_images(o.seed, DataStream::kVqTrain, scenes::Split::kTrain, first, o.batch, o.size);
    for (int i = 0; i < o.batch; ++i) {
      const uint64_t s = scene_seed(o.seed, DataStream::kVqTrain, first + i);
      if (is_photo_example(s, o.photos, o.photo_share)) x[i] = o.photos->crop(s, o.size);
    }
    torch::Tensor codes;
    {
      torch::NoGradGuard no_grad;
      // Exactly the inference path: nearest code of each latent, then its vector.
      codes = vq->quantize->lookup(vq->quantize->nearest_indices(vq->encode(x)));
    }
    auto xr = vq->decode_latents(codes);
    auto mse = torch::mse_loss(xr, x);
    auto loss = mse + o.l1_weight * torch::l1_loss(xr, x);
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    optimizer.step();
    ++pos.step;

    const double l = loss.item<double>(), m = mse.item<double>();
    smooth(smoothed, l, 0.95);
    smooth(smoothed_mse, m, 0.95);
    const double elapsed = run.elapsed();
    progress.update(pos.step, o.budget.fraction(pos.step, elapsed), elapsed,
                    reconstruction_metrics(smoothed, smoothed_mse, lr));
    run.save_every(o.checkpoint_seconds);
  }
  progress.finish();
  run.save();
  for (auto &p : frozen) p.set_requires_grad(true);
  vq->eval();
  return {pos.step, pos.elapsed_seconds, smoothed};
}

}  // namespace amused::train
