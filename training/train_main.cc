#include "training/train_main.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "amused.h"
#include "lab/amused_lab.h"
#include "training/decoder_trainer.h"
#include "training/model_configs.h"
#include "training/photo_library.h"
#include "training/scene_layout.h"
#include "training/text_pretrainer.h"
#include "training/token_dataset.h"
#include "training/token_weights.h"
#include "training/train_checkpoint.h"
#include "training/train_options.h"
#include "training/transformer_trainer.h"
#include "training/vq_trainer.h"
#include "training/weight_init.h"

namespace amused::train {

namespace {

namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

// The work folder: everything a run writes besides the exported model.
struct WorkFiles {
  fs::path dir;
  fs::path tokenizer() const { return dir / "tokenizer"; }
  fs::path vq_checkpoint() const { return dir / "vq.ckpt"; }
  fs::path tokens() const { return dir / "tokens.pt"; }
  // The same scenes rendered at `size` (progressive resolution).
  fs::path tokens_at(int size) const { return dir / ("tokens-" + std::to_string(size) + ".pt"); }
  fs::path decoder_checkpoint() const { return dir / "vq_decoder.ckpt"; }
  fs::path transformer_checkpoint() const { return dir / "transformer.ckpt"; }
};

// lab::create_model copies the tokenizer from "<parent>/tokenizer" when saving, so the work
// folder keeps its own copy under that name (which also makes the folder self-contained).
void copy_tokenizer(const fs::path &from, const fs::path &to) {
  fs::create_directories(to);
  for (const char *f :
       {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
    if (fs::exists(from / f)) {
      fs::copy_file(from / f, to / f, fs::copy_options::overwrite_existing);
    } else if (std::string(f) == "vocab.json" || std::string(f) == "merges.txt") {
      throw Error((from / f).string() + ": CLIP tokenizer file missing");
    }
  }
}

std::vector<int64_t> parse_levels(const std::string &text) {
  std::vector<int64_t> levels;
  if (text == "none") return levels;
  size_t p = 0;
  while (p < text.size()) {
    const size_t q = std::min(text.find(',', p), text.size());
    try {
      levels.push_back(std::stoll(text.substr(p, q - p)));
    } catch (const std::exception &) {
      throw Error("--fsq: bad level list '" + text + "'");
    }
    p = q + 1;
  }
  return levels;
}

// The first token row whose pixels all lie below the horizon.
int64_t horizon_row(const TokenDataset &data) {
  return static_cast<int64_t>(std::ceil(scenes::kHorizon * data.tokens.size(1)));
}

ModelConfigs configs_for(const TrainOptions &o) {
  ModelConfigs c = model_configs(o.preset);
  if (!o.fsq.empty()) c = with_fsq_levels(c, parse_levels(o.fsq));
  if (o.text_layers > 0) c.text.num_hidden_layers = o.text_layers;
  return c;
}

class Trainer {
 public:
  Trainer(TrainOptions options, Clock::time_point run_start)
      : o_(std::move(options)), work_{o_.work}, configs_(configs_for(o_)), run_start_(run_start) {
    fs::create_directories(work_.dir);
    if (!fs::exists(work_.tokenizer() / "vocab.json"))
      copy_tokenizer(o_.tokenizer.empty() ? default_model_dir() / "tokenizer" : o_.tokenizer,
                     work_.tokenizer());
    model_ = lab::create_model(work_.tokenizer(), configs_.text, configs_.uvit, configs_.vq,
                               configs_.scheduler, o_.seed);
    model_->set_generation_defaults(configs_.generation);
    init_convolutions_fan_in(*model_->vqvae(), o_.seed + 3);
    // As lab::create_model(stage seed) would start them, with the VQ still from --seed.
    const uint64_t stage_seed = o_.text_and_transformer_seed();
    nn::init_parameters(*model_->text_encoder(), 0.02, stage_seed);
    nn::init_parameters(*model_->transformer(), 0.02, stage_seed + 1);
    if (o_.position_channels)
      seed_position_channels(model_->transformer(), o_.pin_position_channels ? &pinned_ : nullptr);
    if (!pinned_.empty())
      std::fprintf(stderr, "transformer: %lld weights pinned to the position channels' path\n",
                   static_cast<long long>(pinned_.count()));
  }

  void vq() {
    VqTrainOptions v;
    v.seed = o_.seed;
    v.budget = {o_.vq_steps, o_.vq_minutes * 60.0};
    v.batch = o_.vq_batch;
    v.crop = std::min<int>(64, configs_.image_size());
    v.render_size = static_cast<int>(configs_.image_size());
    v.lr.peak = o_.vq_lr;
    v.fsq_levels = configs_.fsq_levels;
    v.photos = photos(o_.photo_share);
    v.photo_share = o_.photo_share;
    v.checkpoint_seconds = o_.checkpoint_minutes * 60.0;
    v.checkpoint = work_.vq_checkpoint();
    v.resume = o_.resume;
    v.quiet = o_.quiet;
    const auto r = train_vq(model_->vqvae(), v);
    report("vq", r);
    // A retrained VQ makes any token dataset and decoder fine-tuning stale.
    if (!o_.resume) {
      fs::remove(work_.tokens());
      fs::remove(work_.tokens_at(o_.low_res_size));
      fs::remove(work_.decoder_checkpoint());
    }
  }

  void tokens() {
    if (o_.low_res_share > 0) check_low_res_size();
    encode_tokens(work_.tokens(), static_cast<int>(configs_.image_size()));
    if (o_.low_res_share > 0) encode_tokens(work_.tokens_at(o_.low_res_size), o_.low_res_size);
  }

  void transformer() {
    if (o_.low_res_share > 0) check_low_res_size();
    if (!fs::exists(work_.tokens()) ||
        (o_.low_res_share > 0 && !fs::exists(work_.tokens_at(o_.low_res_size))))
      tokens();
    const auto data = load_token_dataset(work_.tokens());
    check_tokens_match_vq(data, work_.tokens());
    if (data.free_captions != o_.free_captions)
      throw Error(work_.tokens().string() + ": captioned with --free-captions " +
                  std::to_string(data.free_captions) + ", not " + std::to_string(o_.free_captions) +
                  "; run the tokens stage again");
    TransformerTrainOptions t;
    t.seed = o_.text_and_transformer_seed();
    const double minutes = transformer_minutes_within_total(
        o_, std::chrono::duration<double>(Clock::now() - run_start_).count() / 60.0);
    if (minutes < o_.transformer_minutes)
      std::fprintf(stderr,
                   "transformer: %.1f of its %.1f minutes, to end the run within "
                   "--total-minutes %g\n",
                   minutes, o_.transformer_minutes, o_.total_minutes);
    t.budget = {o_.transformer_steps, minutes * 60.0};
    t.batch = o_.batch;
    t.lr.peak = o_.lr;
    t.cond_dropout = o_.cond_dropout;
    t.image_size = static_cast<int>(configs_.image_size());
    t.bf16 = o_.bf16;
    t.object_weight = o_.object_weight;
    t.object_masking = o_.object_masking;
    t.object_masking_floor = o_.object_masking_floor;
    t.ground_masking = o_.ground_masking;
    t.sky_masking = o_.sky_masking;
    t.horizon_row = horizon_row(data);
    t.replicas = o_.replicas;
    if (o_.text_pretrain_minutes > 0 || o_.text_pretrain_steps > 0) {
      // A resumed run finds the pretrained (and frozen) encoder in its checkpoint.
      if (!(o_.resume && fs::exists(work_.transformer_checkpoint()))) pretrain_text();
      t.freeze_text_encoder = true;
    }
    if (!pinned_.empty()) t.pinned = &pinned_;
    if (o_.object_weight > 0 || o_.object_masking > 0) {
      const auto start = Clock::now();
      t.object_fractions =
          object_token_fractions(data.seed, data.size(), t.image_size, data.tokens.size(1));
      std::fprintf(stderr,
                   "transformer: object masks of %lld scenes in %.1f s (%.1f%% of tokens)\n",
                   static_cast<long long>(data.size()),
                   std::chrono::duration<double>(Clock::now() - start).count(),
                   100.0 * t.object_fractions.mean().item<double>());
    }
    // Each part once: the plain-loss phase keeps the sun or moon's alone.
    const auto celestial = extra_token_weights(data.seed, data.size(), t.image_size,
                                               data.tokens.size(1), {o_.celestial_weight, 0, 0});
    const auto subject =
        extra_token_weights(data.seed, data.size(), t.image_size, data.tokens.size(1),
                            {0, o_.subject_weight, o_.subject_reach});
    t.extra_weights = !subject.defined()     ? celestial
                      : !celestial.defined() ? subject
                                             : celestial + subject;
    t.plain_loss_share = o_.plain_loss_share;
    t.plain_loss_extra_weights = celestial;
    TokenDataset low_res_data;
    if (o_.low_res_share > 0) {
      low_res_data = load_token_dataset(work_.tokens_at(o_.low_res_size));
      check_tokens_match_vq(low_res_data, work_.tokens_at(o_.low_res_size));
      t.low_res.data = &low_res_data;
      t.low_res.image_size = o_.low_res_size;
      t.low_res.horizon_row = horizon_row(low_res_data);
      if (t.object_fractions.defined())
        t.low_res.object_fractions = object_token_fractions(
            low_res_data.seed, low_res_data.size(), o_.low_res_size, low_res_data.tokens.size(1));
      t.low_res.extra_weights = extra_token_weights(
          low_res_data.seed, low_res_data.size(), o_.low_res_size, low_res_data.tokens.size(1),
          {o_.celestial_weight, o_.subject_weight, o_.subject_reach});
      t.low_res_share = o_.low_res_share;
    }
    t.checkpoint_seconds = o_.checkpoint_minutes * 60.0;
    t.checkpoint = work_.transformer_checkpoint();
    t.resume = o_.resume;
    t.quiet = o_.quiet;
    const auto r = train_transformer(model_->text_encoder(), model_->transformer(), data,
                                     model_->tokenizer().encode_padded(""), t);
    report("transformer", r);
  }

  void pretrain_text() {
    TextPretrainOptions p;
    p.seed = o_.text_and_transformer_seed();
    p.budget = {o_.text_pretrain_steps, o_.text_pretrain_minutes * 60.0};
    p.quiet = o_.quiet;
    p.free_captions = o_.free_captions;
    const auto r = pretrain_text_encoder(model_->text_encoder(), model_->tokenizer(), p);
    report("text", r.stage);
    std::string line = "text: held-out captions, attributes named right:";
    for (const auto &a : r.heldout) {
      char item[48];
      std::snprintf(item, sizeof item, " %s %.1f%%", a.attribute.c_str(), 100.0 * a.accuracy);
      line += item;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }

  void decoder() {
    if (!o_.resume) fs::remove(work_.decoder_checkpoint());
    load_vq();
    DecoderTrainOptions d;
    d.seed = o_.seed;
    d.budget = {o_.decoder_steps, o_.decoder_minutes * 60.0};
    d.size = static_cast<int>(configs_.image_size());
    d.photos = photos(o_.decoder_photo_share);
    d.photo_share = o_.decoder_photo_share;
    d.checkpoint_seconds = o_.checkpoint_minutes * 60.0;
    d.checkpoint = work_.decoder_checkpoint();
    d.resume = o_.resume;
    d.quiet = o_.quiet;
    report("decoder", train_vq_decoder(model_->vqvae(), d));
  }

  void export_model() {
    load_vq();
    CheckpointContents c;
    c.modules = {{"text_encoder", model_->text_encoder().get()},
                 {"transformer", model_->transformer().get()}};
    if (!o_.transformer_from.empty())
      copy_transformer_from(o_.transformer_from);
    else if (fs::exists(work_.transformer_checkpoint()))
      load_checkpoint(work_.transformer_checkpoint(), c);
    else  // lets the VQ be evaluated (amused-eval --prompts 0) before the transformer exists
      std::fprintf(stderr, "export: no %s: the text encoder and transformer are untrained\n",
                   work_.transformer_checkpoint().c_str());
    // Start from an empty folder: the loader prefers fp32 files over fp16 variants, so a
    // stale file of the other kind would shadow the new weights.
    if (fs::exists(o_.out)) {
      for (const auto &entry : fs::directory_iterator(o_.out)) {
        fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add);
        fs::remove_all(entry.path());
      }
    }
    lab::save_model(*model_, o_.out, o_.fp16_export);
    std::uintmax_t bytes = 0;
    for (const auto &f : fs::recursive_directory_iterator(o_.out))
      if (f.is_regular_file()) bytes += f.file_size();
    std::fprintf(stderr, "export: %s (%.1f MB, %lld parameters, %s weights)\n", o_.out.c_str(),
                 bytes / 1e6, static_cast<long long>(model_->parameter_count()),
                 o_.fp16_export ? "fp16" : "fp32");
  }

  // The training split of the real pictures, loaded once on first use; null for a stage that
  // takes none (`share` 0).
  const PhotoLibrary *photos(double share) {
    if (share <= 0) return nullptr;
    if (!photos_) {
      const auto folders = o_.photo_folders.empty() ? default_photo_folders() : o_.photo_folders;
      photos_ = std::make_unique<PhotoLibrary>(PhotoLibrary::load(folders, scenes::Split::kTrain));
      if (!o_.quiet)
        std::fprintf(stderr,
                     "photos: %zu training pictures, %.0f%% of the VQ's examples and %.0f%% of "
                     "the decoder's\n",
                     photos_->size(), 100.0 * o_.photo_share, 100.0 * o_.decoder_photo_share);
    }
    return photos_.get();
  }

 private:
  void check_low_res_size() const {
    // The VQ divides the size by its scale factor, the U-ViT halves that grid again.
    const int64_t unit = 2 * configs_.vq.scale_factor(), full = configs_.image_size();
    if (o_.low_res_size >= full || o_.low_res_size % unit != 0)
      throw Error("--low-res-size " + std::to_string(o_.low_res_size) + ": must be a multiple of " +
                  std::to_string(unit) + " below the model's size " + std::to_string(full));
  }

  // Renders the training scenes at `size`, encodes them and writes `file`, unless --resume
  // finds it complete and encoded by this VQ.
  void encode_tokens(const fs::path &file, int size) {
    load_vq();
    if (o_.resume && fs::exists(file)) {
      const auto data = load_token_dataset(file);
      if (data.size() == o_.token_count && data.free_captions == o_.free_captions &&
          data.vq_fingerprint == vq_encoder_fingerprint(model_->vqvae()))
        return;
    }
    const auto start = Clock::now();
    auto data = build_token_dataset(model_->vqvae(), model_->tokenizer(), o_.seed, o_.token_count,
                                    size, o_.quiet, o_.free_captions);
    save_token_dataset(data, file);
    std::fprintf(stderr, "tokens: %lld scenes at %dx%d encoded in %.1f min -> %s\n",
                 static_cast<long long>(data.size()), size, size,
                 std::chrono::duration<double>(Clock::now() - start).count() / 60.0, file.c_str());
  }

  // A token file may be left from a run on another VQ (or --vq-from another folder): the
  // transformer would then learn codes that the exported decoder reads differently.
  void check_tokens_match_vq(const TokenDataset &data, const fs::path &file) {
    if (o_.vq_from.empty() && !fs::exists(work_.vq_checkpoint())) {
      std::fprintf(stderr, "transformer: no %s to check %s against\n",
                   work_.vq_checkpoint().c_str(), file.c_str());
      return;
    }
    if (data.vq_fingerprint == 0) {
      std::fprintf(stderr, "transformer: %s records no VQ fingerprint; not checked\n",
                   file.c_str());
      return;
    }
    load_vq();
    if (vq_encoder_fingerprint(model_->vqvae()) != data.vq_fingerprint)
      throw Error(file.string() + ": encoded by another VQ than " +
                  (o_.vq_from.empty() ? work_.vq_checkpoint() : o_.vq_from).string() +
                  "; run the tokens stage again");
  }

  void load_vq() {
    if (vq_loaded_) return;
    if (!o_.vq_from.empty()) {
      const auto source = Model::load(o_.vq_from, LoadOptions{});
      check_same_config(o_.vq_from, "vqvae", "VQ", source->vqvae()->config().to_json(),
                        configs_.vq.to_json());
      copy_parameters(*source->vqvae(), *model_->vqvae());
    } else {
      load_checkpoint(work_.vq_checkpoint(), vq_contents());
    }
    // The decoder stage's checkpoint holds the whole VQ with its fine-tuned decoder; it must
    // have been fine-tuned over this encoder, or the exported decoder would read other codes.
    if (fs::exists(work_.decoder_checkpoint())) {
      const auto encoder = vq_encoder_fingerprint(model_->vqvae());
      load_checkpoint(work_.decoder_checkpoint(), vq_contents());
      if (vq_encoder_fingerprint(model_->vqvae()) != encoder)
        throw Error(work_.decoder_checkpoint().string() + ": fine-tuned over another VQ than " +
                    (o_.vq_from.empty() ? work_.vq_checkpoint() : o_.vq_from).string() +
                    "; run the decoder stage again");
    }
    model_->vqvae()->eval();
    vq_loaded_ = true;
  }

  CheckpointContents vq_contents() {
    CheckpointContents c;
    c.modules = {{"vqvae", model_->vqvae().get()}};
    return c;
  }

  // A part of an exported model folder (--vq-from, --transformer-from) must have this
  // preset's configuration.
  static void check_same_config(const fs::path &dir, const char *part, const char *name,
                                const nlohmann::json &theirs, const nlohmann::json &ours) {
    if (theirs != ours)
      throw Error((dir / part / "config.json").string() + ": not the " + name +
                  " of this preset (" + theirs.dump() + " vs " + ours.dump() + ")");
  }

  // --transformer-from: a model of the same preset, checked part by part.
  void copy_transformer_from(const fs::path &dir) {
    const auto source = Model::load(dir, LoadOptions{});
    check_same_config(dir, "text_encoder", "text_encoder",
                      source->text_encoder()->config().to_json(),
                      model_->text_encoder()->config().to_json());
    check_same_config(dir, "transformer", "transformer", source->transformer()->config().to_json(),
                      model_->transformer()->config().to_json());
    copy_parameters(*source->text_encoder(), *model_->text_encoder());
    copy_parameters(*source->transformer(), *model_->transformer());
  }

  void report(const char *stage, const StageResult &r) {
    if (std::isnan(r.loss))
      std::fprintf(stderr, "%s: already complete (%lld steps, %.1f min)\n", stage,
                   static_cast<long long>(r.steps), r.seconds / 60.0);
    else
      std::fprintf(stderr, "%s: %lld steps in %.1f min, final loss %.4f\n", stage,
                   static_cast<long long>(r.steps), r.seconds / 60.0, r.loss);
    if (std::string(stage) == "vq") vq_loaded_ = true;
  }

  TrainOptions o_;
  WorkFiles work_;
  ModelConfigs configs_;
  Clock::time_point run_start_;
  std::shared_ptr<Model> model_;
  PinnedWeights pinned_;  // empty unless --pin-position-channels
  bool vq_loaded_ = false;
  std::unique_ptr<PhotoLibrary> photos_;
};

}  // namespace

int train_main(int argc, char **argv) {
  try {
    TrainOptions o = parse_train_options(argc, argv);
    lab::use_process_threads(o.threads);
    const auto start = Clock::now();
    if (o.stage == "all" && !o.resume) {
      // A fresh retraining must not pick up an older run's checkpoints or tokens.
      const WorkFiles w{o.work};
      for (const auto &f : {w.vq_checkpoint(), w.tokens(), w.tokens_at(o.low_res_size),
                            w.transformer_checkpoint(), w.decoder_checkpoint()})
        fs::remove(f);
    }
    Trainer trainer(o, start);
    // A run of every stage stops now, not an hour in, when the decoder's pictures are missing.
    if (o.stage == "all") trainer.photos(o.decoder_photo_share);
    if (o.stage == "vq" || o.stage == "all") trainer.vq();
    if (o.stage == "tokens" || o.stage == "all") trainer.tokens();
    if (o.stage == "transformer" || o.stage == "all") trainer.transformer();
    if (o.stage == "decoder" || o.stage == "all") trainer.decoder();
    if (o.stage == "export" || o.stage == "all") trainer.export_model();
    std::fprintf(stderr, "amused-train %s: done in %.1f min\n", o.stage.c_str(),
                 std::chrono::duration<double>(Clock::now() - start).count() / 60.0);
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "amused-train: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace amused::train
