// Stage "transformer": trains the CLIP text encoder and the U-ViT together, from scratch,
// on the pre-tokenised scenes, as diffusers' train_amused.py trains aMUSEd:
//   - each example masks a share cos(pi/2 * t), t ~ U(0,1), of its tokens (the cosine
//     schedule the sampler decodes with), at least one; the mask token is the last id;
//   - cross-entropy of the logits at the masked positions against the true codes;
//   - the caption is replaced by the empty prompt for `cond_dropout` of the examples, so the
//     model also learns the unconditional distribution that classifier-free guidance needs;
//   - micro-conditioning as the pipelines pass it: (width, height, crop 0, 0, aesthetic 6).
#pragma once

#include <filesystem>

#include "lab/amused_lab.h"
#include "training/schedule.h"
#include "training/token_dataset.h"
#include "training/vq_trainer.h"

namespace amused::train {

class PinnedWeights;  // weight_init.h

// The same scenes rendered smaller, for the first part of a run (progressive resolution).
struct LowResTokens {
  const TokenDataset *data = nullptr;  // [N,h,w] grids of the smaller renders
  torch::Tensor object_fractions;      // as TransformerTrainOptions::object_fractions
  torch::Tensor extra_weights;         // as TransformerTrainOptions::extra_weights
  int image_size = 64;                 // for the micro-conditioning
  int64_t horizon_row = 0;
};

struct TransformerTrainOptions {
  uint64_t seed = 0;
  Budget budget;
  int batch = 64;
  LrSchedule lr{1e-3, 200, 0.05};
  double weight_decay = 0.01;
  double cond_dropout = 0.1;
  int image_size = 128;  // for the micro-conditioning
  bool bf16 = false;     // autocast matmuls and convolutions to bf16 (fast with AMX)
  // Copies of the model, each on its own thread with a slice of the batch (replicas.h);
  // 1 = the model alone on libtorch's thread pool.
  int replicas = 1;
  // Per-scene object shares of each token ([N,h,w], token_weights.h), or undefined: a masked
  // token's loss is weighted 1 + object_weight * share.
  torch::Tensor object_fractions;
  double object_weight = 0.0;
  // Per-scene weights added on top ([N,h,w] or undefined): a masked token's loss is weighted
  // 1 + object_weight * object share + extra weight (the sun or moon's and the subject's own
  // tokens, token_weights.h: extra_token_weights).
  torch::Tensor extra_weights;
  // The last share of the budget drops the object weight and `extra_weights` for
  // `plain_loss_extra_weights` (the sun or moon's alone; undefined: every token weighs 1).
  // A weight that depends on the target biases the prediction towards it (the optimum of a
  // weighted cross-entropy is p(x) ~ w(x) q(x)): subject tokens weighed 5 against 1 grow every
  // outline, so bottles and balls come out as boxes. The weights still make the subject
  // appear early in training; the plain loss at the end takes the bias back out. The sun or
  // moon keeps its weight: its disc's outline is not asked for, its presence is. (A plain
  // phase that reaches into the low-resolution share weighs every low-resolution token 1.)
  double plain_loss_share = 0.0;
  torch::Tensor plain_loss_extra_weights;
  // Share of examples whose object tokens (share above kObjectTokenShare) are all masked on
  // top of the cosine mask: the model must then draw the objects a caption names from the
  // caption alone. Under random masking some of an object's tokens are nearly always visible
  // and give its colour and kind away, so the text never has to carry them.
  double object_masking = 0.0;
  // Those examples also mask a share of at least this of their other tokens (the cosine
  // density over [floor, 1]). Otherwise the mask outlines the object, the model learns that
  // a masked patch among visible ones is an object, and at sampling time, where the last
  // masked tokens are scattered, it spreads objects over the ground.
  double object_masking_floor = 0.0;
  // Shares of examples whose every token below / above the horizon (rows from / before
  // `horizon_row`) is masked on top of the cosine mask. Unlike an object mask, the masked
  // region is the same in every scene, so it gives nothing away: where the subject stands,
  // how large it is and what shape it has, or whether there are clouds and a sun, can only
  // come from the caption, as in the first decoding steps.
  double ground_masking = 0.0;
  double sky_masking = 0.0;
  int64_t horizon_row = 0;
  // Progressive resolution, as amused-512 was fine-tuned from amused-256: the first
  // `low_res_share` of the budget trains on `low_res` (a quarter of the tokens, ~3.4x the
  // steps per second here; the U-ViT has no position embedding, so the same weights run at
  // any grid), the rest on the full-size set. 0 = full size throughout.
  LowResTokens low_res;
  double low_res_share = 0.0;
  // Keeps the text encoder as it comes in (pretrained: text_pretrainer.h), as aMUSEd keeps
  // its CLIP: only the U-ViT learns.
  bool freeze_text_encoder = false;
  // Entries the optimizer must leave as they are (weight_init.h), or null.
  const PinnedWeights *pinned = nullptr;
  double checkpoint_seconds = 300;
  std::filesystem::path checkpoint;
  bool resume = false;
  // Ends this run at that step (with a checkpoint) as if it were interrupted; the learning
  // rate still follows the whole budget. 0 = run to the end of the budget.
  int64_t stop_at_step = 0;
  bool quiet = false;
};

// Which tokens of a [batch,height,width] grid are masked: a share cos(pi/2 * t), t ~ U(0,1)
// per example, at least one, plus every token of `forced_mask` (optional, bool).
// `share_floor` [batch] (optional, in [0,1]; 1 masks everything) raises an example's share to the
// cosine density over [floor, 1].
torch::Tensor draw_token_mask(int64_t batch, int64_t height, int64_t width,
                              at::Generator &generator, const torch::Tensor &forced_mask = {},
                              const torch::Tensor &share_floor = {});

// [batch,height,width] bool: every token of rows [row_begin, row_end) in the examples
// `chosen` ([batch] bool) marks.
torch::Tensor rows_mask(const torch::Tensor &chosen, int64_t height, int64_t width,
                        int64_t row_begin, int64_t row_end);

// The masked-token loss of one batch, as the training step computes it (no backward).
// `input_ids` [B,77] long, `tokens` [B,h,w] long; masking draws from `generator`.
// `token_weights` [B,h,w] (optional) weights each masked token's cross-entropy; the loss is
// the weighted mean over the masked tokens. `forced_mask` [B,h,w] bool (optional) masks
// those tokens whatever the draw; `share_floor` [B] as draw_token_mask's.
torch::Tensor masked_token_loss(text::ClipTextModelWithProjection &text_encoder,
                                transformer::UVit2DModel &uvit, const torch::Tensor &input_ids,
                                const torch::Tensor &tokens, int image_size,
                                at::Generator &generator, const torch::Tensor &token_weights = {},
                                const torch::Tensor &forced_mask = {},
                                const torch::Tensor &share_floor = {});

// A token counts as part of an object for object masking when this share of its pixels is.
constexpr double kObjectTokenShare = 0.25;

// `empty_ids` are the tokenizer's ids for "" (the unconditional prompt).
StageResult train_transformer(text::ClipTextModelWithProjection &text_encoder,
                              transformer::UVit2DModel &uvit, const TokenDataset &data,
                              const std::vector<int64_t> &empty_ids,
                              const TransformerTrainOptions &options);

}  // namespace amused::train
