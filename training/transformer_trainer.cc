#include "training/transformer_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "amused.h"
#include "training/replicas.h"
#include "training/train_checkpoint.h"
#include "training/train_progress.h"
#include "training/weight_init.h"

namespace amused::train {

namespace {

// Turns CPU autocast on for its lifetime (bf16 matmuls/convolutions, fp32 elsewhere).
class CpuAutocast {
 public:
  explicit CpuAutocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  ~CpuAutocast() {
    if (!enabled_) return;
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  CpuAutocast(const CpuAutocast &) = delete;
  CpuAutocast &operator=(const CpuAutocast &) = delete;

 private:
  bool enabled_;
};

}  // namespace

torch::Tensor draw_token_mask(int64_t batch, int64_t height, int64_t width,
                              at::Generator &generator, const torch::Tensor &forced_mask,
                              const torch::Tensor &share_floor) {
  // train_amused.py: mask_prob = cos(pi/2 * t), at least one token, positions by rank of
  // uniform noise.
  const int64_t n = height * width;
  auto t = torch::rand({batch}, generator);
  // A floor f draws t from [0, acos(f) * 2/pi] instead: the same cosine density over [f, 1].
  // Scaling t (rather than clamping the share) keeps the draws of floor-0 examples unchanged.
  if (share_floor.defined()) t = t * share_floor.to(torch::kFloat32).acos() * (2 / M_PI);
  auto masked_count = (torch::cos(t * (M_PI / 2)) * n).round().clamp_min(1);
  auto ranks = torch::rand({batch, n}, generator).argsort(int64_t{-1}, false);
  auto mask = (ranks < masked_count.unsqueeze(1)).view({batch, height, width});
  return forced_mask.defined() ? mask.logical_or(forced_mask) : mask;
}

torch::Tensor rows_mask(const torch::Tensor &chosen, int64_t height, int64_t width,
                        int64_t row_begin, int64_t row_end) {
  const auto row = torch::arange(height);
  auto rows = (row >= row_begin).logical_and(row < row_end).view({1, height, 1});
  return rows.logical_and(chosen.view({-1, 1, 1})).expand({chosen.size(0), height, width});
}

torch::Tensor masked_token_loss(text::ClipTextModelWithProjection &text_encoder,
                                transformer::UVit2DModel &uvit, const torch::Tensor &input_ids,
                                const torch::Tensor &tokens, int image_size,
                                at::Generator &generator, const torch::Tensor &token_weights,
                                const torch::Tensor &forced_mask,
                                const torch::Tensor &share_floor) {
  const auto &c = uvit->config();
  const int64_t b = tokens.size(0), h = tokens.size(1), w = tokens.size(2);
  auto text = text_encoder->forward(input_ids);
  auto micro = torch::tensor({float(image_size), float(image_size), 0.0f, 0.0f, 6.0f})
                   .unsqueeze(0)
                   .expand({b, 5});

  auto mask = draw_token_mask(b, h, w, generator, forced_mask, share_floor);
  const int64_t mask_id = c.vocab_size - 1;
  auto input = torch::where(mask, torch::full_like(tokens, mask_id), tokens);
  auto labels = torch::where(mask, tokens, torch::full_like(tokens, -100));

  auto logits = uvit->forward(input, text.penultimate, text.text_embeds, micro);
  if (!token_weights.defined()) {
    return torch::nn::functional::cross_entropy(
        logits.to(torch::kFloat32), labels,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  }
  auto per_token = torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat32), labels,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kNone));
  auto weight = token_weights.to(torch::kFloat32) * mask.to(torch::kFloat32);
  return (per_token * weight).sum() / weight.sum().clamp_min(1e-6);
}

StageResult train_transformer(text::ClipTextModelWithProjection &text_encoder,
                              transformer::UVit2DModel &uvit, const TokenDataset &data,
                              const std::vector<int64_t> &empty_ids,
                              const TransformerTrainOptions &o) {
  text_encoder->train();
  uvit->train();
  // AdamW, without weight decay on norms, biases and embeddings (as usual for transformers).
  std::vector<torch::Tensor> decayed, plain;
  auto sort = [&](torch::nn::Module &m) {
    for (auto &p : m.named_parameters(true)) {
      const bool is_matrix = p.value().dim() >= 2 && p.key().find("embedding") == std::string::npos;
      (is_matrix ? decayed : plain).push_back(p.value());
    }
  };
  for (auto &p : text_encoder->parameters(true)) p.set_requires_grad(!o.freeze_text_encoder);
  if (!o.freeze_text_encoder) sort(*text_encoder);
  sort(*uvit);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto options = torch::optim::AdamWOptions(o.lr.peak).betas({0.9, 0.99}).eps(1e-8);
  groups.emplace_back(decayed,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(options).weight_decay(o.weight_decay)));
  groups.emplace_back(plain, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(options).weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups, options);
  std::vector<torch::Tensor> all = decayed;
  all.insert(all.end(), plain.begin(), plain.end());

  CheckpointContents contents;
  contents.modules = {{"text_encoder", text_encoder.get()}, {"transformer", uvit.get()}};
  contents.optimizer = &optimizer;
  CheckpointedRun run("transformer", o.checkpoint, contents, o.resume);
  RunPosition &pos = run.position();

  if (o.replicas < 1 || o.replicas > o.batch)
    throw Error("transformer: replicas must be between 1 and the batch (" +
                std::to_string(o.batch) + "), got " + std::to_string(o.replicas));
  const int threads_before = at::get_num_threads();
  Replicas replicas(text_encoder, uvit, o.replicas);

  const auto empty = torch::tensor(empty_ids, torch::kLong);
  TrainProgress progress("transformer", 30.0, o.quiet ? nullptr : stderr);
  double smoothed = std::nan("");
  std::optional<bool> last_low_res;
  bool was_plain_loss = false;

  while (!o.budget.done(pos.step, run.elapsed()) &&
         (o.stop_at_step == 0 || pos.step < o.stop_at_step)) {
    const double fraction = o.budget.fraction(pos.step, run.elapsed());
    const double lr = o.lr.at(pos.step, fraction);
    set_learning_rate<torch::optim::AdamWOptions>(optimizer, lr);

    // Every step's randomness comes from its own generator: a resumed run continues with
    // exactly the batches and masks of an uninterrupted one.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed * 1000003ull + pos.step);
    const bool low_res = o.low_res.data != nullptr && fraction < o.low_res_share;
    const TokenDataset &set = low_res ? *o.low_res.data : data;
    const torch::Tensor &object_fractions =
        low_res ? o.low_res.object_fractions : o.object_fractions;
    const int image_size = low_res ? o.low_res.image_size : o.image_size;
    const int64_t horizon_row = low_res ? o.low_res.horizon_row : o.horizon_row;
    // The losses of the two sizes differ: the average starts again at the switch.
    if (last_low_res && *last_low_res != low_res) {
      smoothed = std::nan("");
      if (!o.quiet)
        std::fprintf(stderr, "\ntransformer: from step %lld on the %dx%d scenes\n",
                     static_cast<long long>(pos.step), image_size, image_size);
    }
    last_low_res = low_res;
    auto pick = torch::randint(set.size(), {o.batch}, gen, torch::kLong);
    auto tokens = set.tokens.index_select(0, pick).to(torch::kLong);
    auto ids = set.input_ids.index_select(0, pick).to(torch::kLong);
    const bool plain_loss = fraction >= 1.0 - o.plain_loss_share;
    const torch::Tensor extra_weights =
        low_res ? (plain_loss ? torch::Tensor() : o.low_res.extra_weights)
                : (plain_loss ? o.plain_loss_extra_weights : o.extra_weights);
    if (plain_loss && !was_plain_loss) {
      smoothed = std::nan("");  // the plain loss is on another scale
      if (!o.quiet)
        std::fprintf(stderr, "\ntransformer: from step %lld without the object weights\n",
                     static_cast<long long>(pos.step));
    }
    was_plain_loss = plain_loss;
    torch::Tensor weights, forced, floor;
    if (object_fractions.defined()) {
      const auto fractions = object_fractions.index_select(0, pick);
      if (o.object_weight > 0 && !plain_loss) weights = 1.0 + o.object_weight * fractions;
      if (o.object_masking > 0) {
        auto chosen = torch::rand({o.batch}, gen) < o.object_masking;
        forced = (fractions > kObjectTokenShare).logical_and(chosen.view({-1, 1, 1}));
        if (o.object_masking_floor > 0) floor = chosen.to(torch::kFloat32) * o.object_masking_floor;
      }
    }
    if (extra_weights.defined()) {
      const auto extra = extra_weights.index_select(0, pick);
      weights = weights.defined() ? weights + extra : 1.0 + extra;
    }
    // Draws only for the shares in use, so runs without them repeat earlier runs exactly.
    auto add_rows = [&](double share, int64_t row_begin, int64_t row_end) {
      if (share <= 0) return;
      auto chosen = torch::rand({o.batch}, gen) < share;
      auto region = rows_mask(chosen, tokens.size(1), tokens.size(2), row_begin, row_end);
      forced = forced.defined() ? forced.logical_or(region) : region;
    };
    add_rows(o.ground_masking, horizon_row, tokens.size(1));
    add_rows(o.sky_masking, 0, horizon_row);
    auto drop = torch::rand({o.batch}, gen) < o.cond_dropout;
    ids = torch::where(drop.unsqueeze(1), empty.unsqueeze(0).expand_as(ids), ids);

    // Slice k of the batch on replica k; slice 0 masks with the step's generator, so one
    // replica draws exactly what the single-model loop always drew.
    optimizer.zero_grad();
    const int n = replicas.count();
    const double l = replicas.backward(
        [&](int k, text::ClipTextModelWithProjection &te, transformer::UVit2DModel &uv) {
          auto slice = [&](const torch::Tensor &t) { return t.defined() ? t.chunk(n)[k] : t; };
          at::Generator g =
              k == 0 ? gen
                     : at::make_generator<at::CPUGeneratorImpl>((o.seed * 1000003ull + pos.step) ^
                                                                (0x9E3779B97F4A7C15ull * k));
          CpuAutocast autocast(o.bf16);
          return masked_token_loss(te, uv, slice(ids), slice(tokens), image_size, g, slice(weights),
                                   slice(forced), slice(floor));
        });
    if (o.pinned) o.pinned->zero_grads();
    torch::nn::utils::clip_grad_norm_(all, 1.0);
    optimizer.step();
    if (o.pinned) o.pinned->restore();
    replicas.sync();
    ++pos.step;

    smooth(smoothed, l, 0.98);
    const double elapsed = run.elapsed();
    char metrics[96];
    std::snprintf(metrics, sizeof metrics, "%dpx loss %.3f lr %.1e", image_size, smoothed, lr);
    progress.update(pos.step, o.budget.fraction(pos.step, elapsed), elapsed, metrics);
    run.save_every(o.checkpoint_seconds);
  }
  progress.finish();
  at::set_num_threads(threads_before);
  run.save();
  text_encoder->eval();
  uvit->eval();
  return {pos.step, pos.elapsed_seconds, smoothed};
}

}  // namespace amused::train
