// Command line of `amused-train` (and of `amused train`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amused::train {

struct TrainOptions {
  std::string stage;  // vq, tokens, transformer, export, all
  std::string preset = "default";
  std::filesystem::path work;  // checkpoints and the token dataset; default: build dir
  std::filesystem::path out;   // export folder; default: the source tree's model
  // CLIP tokenizer files to train with and ship; empty: the default model's (the real CLIP
  // vocabulary).
  std::filesystem::path tokenizer;
  uint64_t seed = 0;  // the VQ, tokens and decoder stages
  // The text encoder's and U-ViT's initialisation and their stage's draws (default: seed + 1).
  // A stage seed of its own because the same recipe scored 77.3 / 81.2 / 77.9% with 0 / 1 / 2
  // (README), and the VQ that the shipped model's tokens come from was trained with seed 0.
  std::optional<uint64_t> transformer_seed;
  uint64_t text_and_transformer_seed() const { return transformer_seed.value_or(seed + 1); }
  int threads = 0;  // 0 = libtorch's default (all cores)
  bool resume = false;
  bool quiet = false;

  int text_layers = 0;  // CLIP text encoder layers overriding the preset's (0: the preset's)
  std::string fsq;      // "7,5,5,5": FSQ levels overriding the preset's ("none": learned codes)
  double vq_minutes = 22;
  int64_t vq_steps = 0;  // 0 = until the time budget is used
  int vq_batch = 16;
  double vq_lr = 1e-3;

  int64_t token_count = 16000;  // scenes in the transformer's training set

  // Pretraining of the text encoder alone (text_pretrainer.h), then frozen for the U-ViT;
  // 0 = the text encoder trains jointly with the U-ViT from random weights.
  double text_pretrain_minutes = 2;
  int64_t text_pretrain_steps = 0;
  double transformer_minutes = 53;
  int64_t transformer_steps = 0;
  int batch = 16;  // more, smaller steps learn faster in a fixed time (same cost per scene)
  double lr = 1e-3;
  double cond_dropout = 0.1;
  double object_weight = 1.0;      // token_weights.h
  double celestial_weight = 5.0;   // token_weights.h: celestial_token_fractions
  double subject_weight = 3.0;     // token_weights.h: subject_token_fractions
  int64_t subject_reach = 0;       // token_weights.h: grown_shares
  double plain_loss_share = 0.15;  // transformer_trainer.h
  double object_masking = 0.15;    // transformer_trainer.h
  double object_masking_floor = 0.0;
  double ground_masking = 0.25;  // transformer_trainer.h
  double sky_masking = 0.0;
  // Share of captions in free phrasing (caption_phrasing.h); 0 = the grammar only. 0.35 is
  // the shipped recipe: free prompts 57 -> 76% right at about one point on the grammar ones.
  double free_captions = 0.35;
  // Progressive resolution: the first share of the transformer budget on the training scenes
  // rendered at low_res_size (transformer_trainer.h: low_res_share).
  double low_res_share = 0.0;
  int low_res_size = 64;
  int replicas = 2;  // replicas.h: 1.46x the steps of one model on 2 cores
  bool bf16 = false;
  bool position_channels = true;       // weight_init.h: seed_position_channels
  bool pin_position_channels = false;  // ... and keep its ramp path fixed in training

  // An exported model folder whose VQ (encoder, codes, fine-tuned decoder) replaces --work's
  // vq.ckpt: the text encoder and transformer retrain on the shipped VQ, or its decoder is
  // fine-tuned again (stage decoder; --work's vq_decoder.ckpt then applies over it).
  std::filesystem::path vq_from;
  // Stage export: the text encoder and transformer of this exported model folder instead of
  // --work's transformer checkpoint (a model whose decoder alone was fine-tuned again).
  std::filesystem::path transformer_from;

  // Share of the VQ stage's examples that are crops of real pictures (photo_library.h), and
  // where the pictures are; empty: default_photo_folders(). 0 is the shipped model's recipe:
  // codes that spend capacity on photographs cost the transformer (models/README.md).
  double photo_share = 0.0;
  // The same for the decoder stage, which cannot move the codes: real footage through the VQ
  // 18.5 -> 22.7 dB at about a point of prompt adherence.
  double decoder_photo_share = 0.3;
  std::vector<std::filesystem::path> photo_folders;

  double decoder_minutes = 4;
  int64_t decoder_steps = 0;

  // Stage `all`: the transformer's time budget shrinks when the stages before it ran long
  // (the token dataset takes 4 to 12 minutes on the same machine), so that the whole
  // retraining ends within this many minutes; 0 = no limit.
  double total_minutes = 89;

  double checkpoint_minutes = 4;
  bool fp16_export = true;
};

// Parses argv (argv[1] is the stage). Prints usage and exits on --help; throws
// amused::Error on bad arguments.
TrainOptions parse_train_options(int argc, char **argv);

// The transformer stage's time budget in minutes, `elapsed_minutes` into the run: its own
// budget, or under stage `all` with a total, what the total leaves after the text
// pretraining, the decoder stage and a minute for setup and export (at least one minute).
double transformer_minutes_within_total(const TrainOptions &o, double elapsed_minutes);

std::string train_usage();

}  // namespace amused::train
