#include "training/train_options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "amused.h"

namespace amused::train {

std::string train_usage() {
  return R"(usage: amused-train STAGE [options]

Trains the default aMUSEd model from scratch on procedural scenes.

stages:
  vq           the VQ-GAN (encoder, codebook, decoder) on random 64x64 crops
  tokens       encode the transformer's training scenes with the trained VQ
  transformer  the text encoder and the U-ViT (masked-token cross-entropy)
  decoder      fine-tune the VQ decoder on whole scenes, codes frozen (token ids keep
               their meaning, so it runs after the transformer)
  export       write the trained model in the diffusers layout (--out)
  all          vq, tokens, transformer, decoder and export: the whole retraining

options:
  --work DIR               checkpoints and token dataset (default: ./train-work)
  --out DIR                export folder (default: ./amused-trained; the shipped model
                           is models/amused-default)
  --tokenizer DIR          CLIP tokenizer files (default: the default model's)
  --resume                 continue each stage from its checkpoint in --work
  --seed N                 the VQ, tokens and decoder stages (default 0)
  --transformer-seed N     the text encoder's and U-ViT's initial weights and the
                           transformer stage's draws (default: --seed + 1)
  --threads N              libtorch threads (default: all cores)
  --preset default|tiny    model size (tiny: for tests)
  --fsq L1,L2,...|none     VQ codebook as an FSQ grid with these levels (default: the
                           preset's), or a learned codebook
  --text-layers N          CLIP text encoder layers (default: the preset's, 2 for default;
                           at least 2: the pipeline reads the next-to-last layer)
  --vq-minutes M           VQ time budget (default 22)
  --vq-steps N             VQ step budget (default: none)
  --vq-batch N             (default 16)
  --vq-lr X                (default 1e-3)
  --tokens N               training scenes for the transformer (default 16000)
  --text-pretrain-minutes M transformer stage: first pretrain the text encoder alone for M
                           minutes to name each attribute of a caption from its pooled
                           embedding, then keep it frozen for the U-ViT, as aMUSEd keeps its
                           CLIP (default 2; 0: trained with the U-ViT from random weights)
  --text-pretrain-steps N  (default: none)
  --transformer-minutes M  transformer time budget, after the text pretraining (default 53)
  --transformer-steps N    transformer step budget (default: none)
  --batch N                transformer batch (default 16)
  --lr X                   transformer peak learning rate (default 1e-3)
  --decoder-minutes M      decoder fine-tuning time budget (default 4)
  --decoder-steps N        decoder fine-tuning step budget (default: none)
  --cond-dropout P         empty-prompt share for guidance (default 0.1)
  --object-weight W        extra loss weight on tokens of the subject, backdrop, clouds,
                           sun and moon: 1 + W * object share (default 1)
  --celestial-weight W     more on the sun or moon's own tokens: + W * their share
                           (default 5)
  --subject-weight W       more on the subject's own tokens: + W * their share (default 3)
  --subject-reach N        ... and on the tokens within N of them, so that the weight does
                           not depend on the target (default 0)
  --plain-loss-share S     the last share S of the transformer's budget drops the object
                           and subject weights (the sun or moon's stays): weights on the
                           target grow outlines, this shrinks them back (default 0.15)
  --object-masking P       share of examples whose object tokens are all masked, so the
                           caption alone must say what they are (default 0.15)
  --object-masking-floor R those examples also mask at least a share R of their other
                           tokens, so the mask does not outline the object (default 0)
  --ground-masking P       share of examples with every token below the horizon masked:
                           the subject's place, size and shape from the caption (default
                           0.25)
  --sky-masking P          share of examples with every token above the horizon masked:
                           clouds, sun or moon and the backdrop from the caption (default 0)
  --photo-share P          VQ stage: share of the examples that are crops of real
                           pictures, the wallpaper packages training/setup.sh installs
                           (default 0: procedural scenes only)
  --decoder-photo-share P  the same for the decoder stage (default 0.3; 0: scenes only,
                           which needs no pictures installed)
  --photo-folder DIR       where the pictures are (repeatable; default /usr/share/backgrounds
                           and /usr/share/wallpapers); a fifth is held out by file name
  --free-captions P        share of the captions in free phrasing: synonyms, other orders,
                           sentences, details left out (default 0.35; 0: the grammar only)
  --low-res-share S        transformer stage: the first share S of the budget on the same
                           scenes rendered at --low-res-size (a quarter of the tokens at
                           64: ~3.4x the steps per second), then full size (default 0)
  --low-res-size N         (default 64)
  --replicas N             transformer stage: N copies of the model, one thread each, each
                           on a slice of the batch, gradients averaged (default 2: 1.46x the
                           steps of one model on all threads, measured on 2 cores)
  --bf16                   bf16 autocast for the transformer stage
  --position-channels      start the U-ViT with two conv channels that ramp from the left
                           and right edges, so columns can be told apart (default on)
  --no-position-channels   start it from the plain initialisation
  --pin-position-channels  --position-channels, and keep the ramp path's weights fixed
                           while training (the optimizer washes them out otherwise)
  --vq-from DIR            take the VQ (encoder, codes and fine-tuned decoder) from an
                           exported model folder, e.g. models/amused-default, instead of
                           --work's checkpoints: stages tokens, transformer and export
                           retrain the text encoder and transformer on that VQ; stage
                           decoder fine-tunes its decoder again (its codes unchanged)
  --transformer-from DIR   stage export: the text encoder and transformer of an exported
                           model folder instead of --work's checkpoint (with --vq-from and
                           stage decoder: a model whose decoder alone was fine-tuned)
  --total-minutes M        stage all: shorten the transformer's budget when the stages
                           before it ran long, so that the whole run ends within M
                           minutes (default 89; 0: no limit)
  --checkpoint-minutes M   between checkpoints (default 4)
  --fp32                   export fp32 weights (default: fp16 variant files)
  --quiet                  no progress lines
A stage stops at whichever budget (steps or minutes) it reaches first.
)";
}

TrainOptions parse_train_options(int argc, char **argv) {
  TrainOptions o;
  o.out = "amused-trained";
  o.work = "train-work";
  if (argc < 2) throw Error("missing stage\n" + train_usage());
  o.stage = argv[1];
  if (o.stage == "--help" || o.stage == "-h") {
    std::fputs(train_usage().c_str(), stdout);
    std::exit(0);
  }
  if (o.stage != "vq" && o.stage != "tokens" && o.stage != "transformer" && o.stage != "export" &&
      o.stage != "decoder" && o.stage != "all")
    throw Error("unknown stage '" + o.stage + "'\n" + train_usage());

  using Setter = std::function<void(const std::string &)>;
  auto number = [](const std::string &key, const std::string &v) {
    try {
      size_t used = 0;
      double d = std::stod(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
      return d;
    } catch (const std::exception &) {
      throw Error(key + ": not a number: '" + v + "'");
    }
  };
  auto integer = [&](const std::string &key, const std::string &v) {
    const double d = number(key, v);
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
      throw Error(key + ": not a non-negative integer: '" + v + "'");
    return static_cast<int64_t>(d);
  };
  const std::map<std::string, Setter> with_value = {
      {"--work", [&](const std::string &v) { o.work = v; }},
      {"--out", [&](const std::string &v) { o.out = v; }},
      {"--tokenizer", [&](const std::string &v) { o.tokenizer = v; }},
      {"--vq-from", [&](const std::string &v) { o.vq_from = v; }},
      {"--transformer-from", [&](const std::string &v) { o.transformer_from = v; }},
      {"--preset", [&](const std::string &v) { o.preset = v; }},
      {"--fsq", [&](const std::string &v) { o.fsq = v; }},
      {"--text-layers",
       [&](const std::string &v) { o.text_layers = int(integer("--text-layers", v)); }},
      {"--seed", [&](const std::string &v) { o.seed = integer("--seed", v); }},
      {"--transformer-seed",
       [&](const std::string &v) { o.transformer_seed = integer("--transformer-seed", v); }},
      {"--threads", [&](const std::string &v) { o.threads = int(integer("--threads", v)); }},
      {"--vq-minutes", [&](const std::string &v) { o.vq_minutes = number("--vq-minutes", v); }},
      {"--vq-steps", [&](const std::string &v) { o.vq_steps = integer("--vq-steps", v); }},
      {"--vq-batch", [&](const std::string &v) { o.vq_batch = int(integer("--vq-batch", v)); }},
      {"--vq-lr", [&](const std::string &v) { o.vq_lr = number("--vq-lr", v); }},
      {"--tokens", [&](const std::string &v) { o.token_count = integer("--tokens", v); }},
      {"--transformer-minutes",
       [&](const std::string &v) { o.transformer_minutes = number("--transformer-minutes", v); }},
      {"--text-pretrain-minutes",
       [&](const std::string &v) {
         o.text_pretrain_minutes = number("--text-pretrain-minutes", v);
       }},
      {"--text-pretrain-steps",
       [&](const std::string &v) { o.text_pretrain_steps = integer("--text-pretrain-steps", v); }},
      {"--decoder-minutes",
       [&](const std::string &v) { o.decoder_minutes = number("--decoder-minutes", v); }},
      {"--decoder-steps",
       [&](const std::string &v) { o.decoder_steps = integer("--decoder-steps", v); }},
      {"--transformer-steps",
       [&](const std::string &v) { o.transformer_steps = integer("--transformer-steps", v); }},
      {"--batch", [&](const std::string &v) { o.batch = int(integer("--batch", v)); }},
      {"--lr", [&](const std::string &v) { o.lr = number("--lr", v); }},
      {"--cond-dropout",
       [&](const std::string &v) { o.cond_dropout = number("--cond-dropout", v); }},
      {"--replicas", [&](const std::string &v) { o.replicas = int(integer("--replicas", v)); }},
      {"--low-res-share",
       [&](const std::string &v) { o.low_res_share = number("--low-res-share", v); }},
      {"--low-res-size",
       [&](const std::string &v) { o.low_res_size = int(integer("--low-res-size", v)); }},
      {"--object-masking",
       [&](const std::string &v) { o.object_masking = number("--object-masking", v); }},
      {"--object-masking-floor",
       [&](const std::string &v) { o.object_masking_floor = number("--object-masking-floor", v); }},
      {"--ground-masking",
       [&](const std::string &v) { o.ground_masking = number("--ground-masking", v); }},
      {"--sky-masking", [&](const std::string &v) { o.sky_masking = number("--sky-masking", v); }},
      {"--free-captions",
       [&](const std::string &v) { o.free_captions = number("--free-captions", v); }},
      {"--photo-share", [&](const std::string &v) { o.photo_share = number("--photo-share", v); }},
      {"--decoder-photo-share",
       [&](const std::string &v) { o.decoder_photo_share = number("--decoder-photo-share", v); }},
      {"--photo-folder", [&](const std::string &v) { o.photo_folders.emplace_back(v); }},
      {"--object-weight",
       [&](const std::string &v) { o.object_weight = number("--object-weight", v); }},
      {"--celestial-weight",
       [&](const std::string &v) { o.celestial_weight = number("--celestial-weight", v); }},
      {"--subject-weight",
       [&](const std::string &v) { o.subject_weight = number("--subject-weight", v); }},
      {"--plain-loss-share",
       [&](const std::string &v) { o.plain_loss_share = number("--plain-loss-share", v); }},
      {"--subject-reach",
       [&](const std::string &v) { o.subject_reach = integer("--subject-reach", v); }},
      {"--total-minutes",
       [&](const std::string &v) { o.total_minutes = number("--total-minutes", v); }},
      {"--checkpoint-minutes",
       [&](const std::string &v) { o.checkpoint_minutes = number("--checkpoint-minutes", v); }},
  };
  const std::map<std::string, std::function<void()>> flags = {
      {"--resume", [&] { o.resume = true; }},
      {"--quiet", [&] { o.quiet = true; }},
      {"--bf16", [&] { o.bf16 = true; }},
      {"--position-channels", [&] { o.position_channels = true; }},
      {"--no-position-channels", [&] { o.position_channels = o.pin_position_channels = false; }},
      {"--pin-position-channels", [&] { o.position_channels = o.pin_position_channels = true; }},
      {"--fp32", [&] { o.fp16_export = false; }},
  };
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(train_usage().c_str(), stdout);
      std::exit(0);
    }
    if (auto f = flags.find(a); f != flags.end()) {
      f->second();
    } else if (auto s = with_value.find(a); s != with_value.end()) {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      s->second(argv[++i]);
    } else {
      throw Error("unknown option '" + a + "'\n" + train_usage());
    }
  }
  if (!o.vq_from.empty() && (o.stage == "vq" || o.stage == "all"))
    throw Error("--vq-from: stage " + o.stage +
                " trains the VQ; with a VQ taken from a model use decoder, tokens, transformer "
                "or export");
  if (!o.transformer_from.empty() && o.stage != "export")
    throw Error(
        "--transformer-from: only stage export takes a trained transformer from a "
        "model, not stage " +
        o.stage);
  if (o.text_layers == 1)
    throw Error("--text-layers 1: at least 2, the pipeline reads the next-to-last layer's states");
  if (o.vq_batch < 1 || o.batch < 1) throw Error("batch sizes must be positive");
  if (o.token_count < 1) throw Error("--tokens must be positive");
  for (auto [key, share] :
       {std::pair{"--cond-dropout", o.cond_dropout},
        std::pair{"--object-masking", o.object_masking},
        std::pair{"--object-masking-floor", o.object_masking_floor},
        std::pair{"--ground-masking", o.ground_masking}, std::pair{"--sky-masking", o.sky_masking},
        std::pair{"--low-res-share", o.low_res_share},
        std::pair{"--plain-loss-share", o.plain_loss_share},
        std::pair{"--free-captions", o.free_captions}, std::pair{"--photo-share", o.photo_share},
        std::pair{"--decoder-photo-share", o.decoder_photo_share}})
    if (share < 0 || share > 1)
      throw Error(std::string(key) + ": a share between 0 and 1, got " + std::to_string(share));
  if (o.text_pretrain_minutes < 0) throw Error("--text-pretrain-minutes: must not be negative");
  if (o.object_weight < 0) throw Error("--object-weight: must not be negative");
  if (o.celestial_weight < 0) throw Error("--celestial-weight: must not be negative");
  if (o.subject_weight < 0) throw Error("--subject-weight: must not be negative");
  if (o.vq_minutes <= 0 && o.vq_steps == 0)
    throw Error("the VQ stage needs a budget: --vq-minutes or --vq-steps");
  if (o.transformer_minutes <= 0 && o.transformer_steps == 0)
    throw Error(
        "the transformer stage needs a budget: --transformer-minutes or --transformer-steps");
  return o;
}

double transformer_minutes_within_total(const TrainOptions &o, double elapsed_minutes) {
  if (o.stage != "all" || o.total_minutes <= 0) return o.transformer_minutes;
  constexpr double kSetupAndExportMinutes = 1.0;
  const double left = o.total_minutes - elapsed_minutes - o.text_pretrain_minutes -
                      o.decoder_minutes - kSetupAndExportMinutes;
  const double budget = std::min(o.transformer_minutes, left);
  // 0 would mean "no time limit" to the stage.
  return std::max(budget, 1.0);
}

}  // namespace amused::train
