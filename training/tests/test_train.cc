// Training on the tiny preset (32x32 images, a few thousand parameters per component):
// the losses fall, checkpoints resume exactly, the export loads with amused::load_model and
// generates; and the shipped default model follows held-out prompts better than chance.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "amused.h"
#include "lab/amused_lab.h"
#include "media/image_io.h"
#include "tests/temp_dir.h"
#include "training/eval_metrics.h"
#include "training/model_configs.h"
#include "training/replicas.h"
#include "training/scene_checker.h"
#include "training/scene_data.h"
#include "training/scene_layout.h"
#include "training/scenes.h"
#include "training/stated_prompts.h"
#include "training/text_pretrainer.h"
#include "training/token_dataset.h"
#include "training/token_weights.h"
#include "training/train_checkpoint.h"
#include "training/train_main.h"
#include "training/train_options.h"
#include "training/transformer_trainer.h"
#include "training/vq_trainer.h"
#include "training/weight_init.h"

namespace {

namespace fs = std::filesystem;
using namespace amused;

const fs::path kTokenizer = fs::path(AMUSED_TESTS_DATA_DIR) / "clip-tokenizer";

using test::TempDir;

// lab::create_model needs the tokenizer in a folder named "tokenizer" (it copies it from there
// when saving), as the trainer's work folder has it.
std::shared_ptr<Model> tiny_model(const fs::path &dir, uint64_t seed = 0,
                                  const std::vector<int64_t> &fsq_levels = {}) {
  fs::create_directories(dir / "tokenizer");
  for (const auto &f : fs::directory_iterator(kTokenizer))
    if (f.is_regular_file())
      fs::copy_file(f.path(), dir / "tokenizer" / f.path().filename(),
                    fs::copy_options::overwrite_existing);
  auto c = train::model_configs("tiny");
  if (!fsq_levels.empty()) c = train::with_fsq_levels(c, fsq_levels);
  auto m = lab::create_model(dir / "tokenizer", c.text, c.uvit, c.vq, c.scheduler, seed);
  train::init_convolutions_fan_in(*m->vqvae(), seed + 3);
  return m;
}

double reconstruction_mse(vq::VQModel &vq, const torch::Tensor &images) {
  torch::NoGradGuard no_grad;
  auto codes = vq->quantize->nearest_indices(vq->encode(images));
  return torch::mse_loss(vq->decode_indices(codes), images).item<double>();
}

double transformer_loss(Model &m, const train::TokenDataset &data) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
  return train::masked_token_loss(m.text_encoder(), m.transformer(),
                                  data.input_ids.to(torch::kLong), data.tokens.to(torch::kLong), 32,
                                  gen)
      .item<double>();
}

train::VqTrainOptions vq_options(const fs::path &ckpt, int64_t steps) {
  train::VqTrainOptions o;
  o.budget.max_steps = steps;
  o.batch = 8;
  o.crop = 32;
  o.render_size = 32;
  o.lr.warmup_steps = 5;
  o.restart_every = 10;
  o.checkpoint = ckpt;
  o.quiet = true;
  return o;
}

train::TransformerTrainOptions transformer_options(const fs::path &ckpt, int64_t steps) {
  train::TransformerTrainOptions o;
  o.budget.max_steps = steps;
  o.batch = 16;
  o.lr = {3e-3, 5, 0.1};
  o.image_size = 32;
  o.checkpoint = ckpt;
  o.quiet = true;
  return o;
}

TEST(TinyTraining, VqLossFalls) {
  TempDir tmp;
  auto m = tiny_model(tmp.path());
  auto images =
      train::scene_images(7, train::DataStream::kVqEval, scenes::Split::kHeldout, 0, 16, 32);
  const double before = reconstruction_mse(m->vqvae(), images);
  train::train_vq(m->vqvae(), vq_options(tmp.path() / "vq.ckpt", 60));
  const double after = reconstruction_mse(m->vqvae(), images);
  EXPECT_LT(after, 0.7 * before) << "before " << before << " after " << after;
  EXPECT_TRUE(fs::exists(tmp.path() / "vq.ckpt"));
  // The codebook ends on the unit sphere, which makes cosine and euclidean lookup agree.
  auto norms = m->vqvae()->quantize->embedding->weight.norm(2, 1);
  EXPECT_TRUE(torch::allclose(norms, torch::ones_like(norms), 1e-4, 1e-4));
}

// An FSQ grid's channels all carry information: the default VQ once trained with the
// learned codebook's commitment term, which pulled every channel to its nearest level and
// held two of its four channels at the middle level (40 of 1000 codes in use).
TEST(TinyTraining, FsqVqUsesEveryChannel) {
  TempDir tmp;
  const std::vector<int64_t> levels = {8, 5, 5, 5};
  auto m = tiny_model(tmp.path(), 0, levels);
  auto o = vq_options(tmp.path() / "vq.ckpt", 150);
  o.fsq_levels = levels;
  train::train_vq(m->vqvae(), o);
  auto images =
      train::scene_images(7, train::DataStream::kVqEval, scenes::Split::kHeldout, 0, 16, 32);
  torch::NoGradGuard no_grad;
  auto codes = m->vqvae()->quantize->nearest_indices(m->vqvae()->encode(images)).flatten();
  int64_t stride = 1;
  for (size_t d = 0; d < levels.size(); ++d) {
    // The level of channel d in every token; the share of tokens off its most common level.
    auto level = codes.div(stride, "floor").remainder(levels[d]);
    stride *= levels[d];
    auto counts = torch::bincount(level, {}, levels[d]).to(torch::kFloat32);
    const double off_mode = 1.0 - (counts.max() / counts.sum()).item<double>();
    EXPECT_GT(off_mode, 0.05) << "channel " << d << " levels " << counts;
  }
}

void expect_transformer_loss_falls(bool bf16, int replicas = 1) {
  TempDir tmp;
  auto m = tiny_model(tmp.path());
  train::train_vq(m->vqvae(), vq_options(tmp.path() / "vq.ckpt", 20));
  const auto data = train::build_token_dataset(m->vqvae(), m->tokenizer(), 0, 64, 32, true);
  ASSERT_EQ(data.tokens.size(0), 64);
  ASSERT_EQ(data.tokens.size(1), 8);
  const double before = transformer_loss(*m, data);
  auto o = transformer_options(tmp.path() / "t.ckpt", 40);
  o.bf16 = bf16;
  o.replicas = replicas;
  train::train_transformer(m->text_encoder(), m->transformer(), data,
                           m->tokenizer().encode_padded(""), o);
  const double after = transformer_loss(*m, data);
  EXPECT_LT(after, before - 0.3) << "before " << before << " after " << after;
}

TEST(TinyTraining, TransformerLossFalls) { expect_transformer_loss_falls(false); }

// bf16 autocast (--bf16): layer norms meet bf16 activations with fp32 weights.
TEST(TinyTraining, TransformerLossFallsUnderBf16Autocast) { expect_transformer_loss_falls(true); }

// --replicas 2: two copies of the model on two threads, each on half of every batch.
TEST(TinyTraining, TransformerLossFallsWithTwoReplicas) { expect_transformer_loss_falls(false, 2); }

// The text encoder, pretrained alone, names every attribute of held-out captions (combinations
// it never saw) from its pooled embedding, where the untrained encoder is at chance.
TEST(TextPretraining, NamesTheAttributesOfHeldoutCaptions) {
  // The default model's text encoder (the tiny preset's is too narrow to name all nine).
  text::ClipTextModelWithProjection encoder(train::model_configs("default").text);
  nn::init_parameters(*encoder, 0.02, 0);
  const auto tokenizer = text::ClipTokenizer::from_folder(kTokenizer);
  train::TextPretrainOptions o;
  o.budget.max_steps = 300;
  o.batch = 32;
  o.lr = {3e-3, 20, 0.1};
  o.quiet = true;
  const auto r = train::pretrain_text_encoder(encoder, tokenizer, o);
  EXPECT_EQ(r.stage.steps, 300);
  ASSERT_EQ(r.heldout.size(), 9u);
  for (const auto &a : r.heldout) {
    // Chance is at most 1/2 (clouds, size); colour, the attribute the held-out triples vary,
    // is learned last.
    EXPECT_GT(a.accuracy, a.attribute == "colour" ? 0.5 : 0.8)
        << a.attribute << " named right in " << a.accuracy << " of the held-out captions";
  }
  // Captions that differ in one word now have embeddings apart.
  torch::NoGradGuard no_grad;
  auto embed = [&](const std::string &caption) {
    auto ids = torch::tensor(tokenizer.encode_padded(caption), torch::kLong).unsqueeze(0);
    return encoder->forward(ids).text_embeds[0];
  };
  const auto left = embed("a small red ball at the left on a beach under a daytime sky");
  const auto right = embed("a small red ball at the right on a beach under a daytime sky");
  EXPECT_GT(((left - right).norm() / left.norm()).item<double>(), 0.1);
}

// --text-pretrain-*: the transformer stage trains the U-ViT on a frozen pretrained encoder.
TEST(TinyTraining, PretrainedTextEncoderStaysFrozen) {
  TempDir tmp;
  auto m = tiny_model(tmp.path());
  train::train_vq(m->vqvae(), vq_options(tmp.path() / "vq.ckpt", 10));
  const auto data = train::build_token_dataset(m->vqvae(), m->tokenizer(), 0, 32, 32, true);
  train::TextPretrainOptions p;
  p.budget.max_steps = 5;
  p.quiet = true;
  train::pretrain_text_encoder(m->text_encoder(), m->tokenizer(), p);
  std::vector<torch::Tensor> text_before, uvit_before;
  for (const auto &t : m->text_encoder()->parameters()) text_before.push_back(t.detach().clone());
  for (const auto &t : m->transformer()->parameters()) uvit_before.push_back(t.detach().clone());
  auto o = transformer_options(tmp.path() / "t.ckpt", 5);
  o.freeze_text_encoder = true;
  o.replicas = 2;
  train::train_transformer(m->text_encoder(), m->transformer(), data,
                           m->tokenizer().encode_padded(""), o);
  const auto text_after = m->text_encoder()->parameters();
  for (size_t i = 0; i < text_after.size(); ++i)
    EXPECT_TRUE(torch::equal(text_after[i], text_before[i])) << "text encoder parameter " << i;
  const auto uvit_after = m->transformer()->parameters();
  int64_t changed = 0;
  for (size_t i = 0; i < uvit_after.size(); ++i)
    changed += !torch::equal(uvit_after[i], uvit_before[i]);
  EXPECT_GT(changed, int64_t(uvit_after.size()) / 2);
}

// Replicas leave the mean of their gradients on the master and take its weights on sync():
// replica k's loss is (k + 1) * sum(parameters), so the mean gradient is 2 everywhere.
TEST(Replicas, AverageGradientsAndSyncWeights) {
  TempDir tmp;
  auto m = tiny_model(tmp.path());
  train::Replicas replicas(m->text_encoder(), m->transformer(), 3);
  ASSERT_EQ(replicas.count(), 3);
  const double loss = replicas.backward(
      [&](int k, text::ClipTextModelWithProjection &te, transformer::UVit2DModel &uv) {
        torch::Tensor sum = torch::zeros({});
        for (auto &p : te->parameters()) sum = sum + p.sum();
        for (auto &p : uv->parameters()) sum = sum + p.sum();
        return sum * double(k + 1);
      });
  for (auto &p : m->transformer()->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(torch::allclose(p.grad(), torch::full_like(p, 2.0)));
  }
  double sum = 0;
  for (auto &p : m->text_encoder()->parameters()) sum += p.sum().item<double>();
  for (auto &p : m->transformer()->parameters()) sum += p.sum().item<double>();
  EXPECT_NEAR(loss, 2.0 * sum, 1e-3 * std::abs(sum) + 1e-3);

  // After a step on the master only, sync() hands the new weights to every replica: their
  // losses (hence sums) then agree with the master's again.
  {
    torch::NoGradGuard no_grad;
    for (auto &p : m->transformer()->parameters()) p.add_(0.5);
  }
  std::vector<double> sums(3);
  replicas.sync();
  replicas.backward(
      [&](int k, text::ClipTextModelWithProjection &te, transformer::UVit2DModel &uv) {
        torch::Tensor s = torch::zeros({});
        for (auto &p : te->parameters()) s = s + p.sum();
        for (auto &p : uv->parameters()) s = s + p.sum();
        sums[k] = s.item<double>();
        return s;
      });
  EXPECT_NEAR(sums[1], sums[0], 1e-3 * std::abs(sums[0]));
  EXPECT_NEAR(sums[2], sums[0], 1e-3 * std::abs(sums[0]));
}

// Runs check(seed, attributes, that scene's shares) on each token-dataset scene (seed 0) of
// per-scene token shares, with the scene's caption on every failure.
template <typename Check>
void for_each_token_scene(const torch::Tensor &fractions, Check check) {
  for (int64_t i = 0; i < fractions.size(0); ++i) {
    const uint64_t seed = train::scene_seed(0, train::DataStream::kTokenDataset, i);
    const auto a = scenes::sample_attributes(seed, scenes::Split::kTrain);
    SCOPED_TRACE(a.to_caption());
    check(seed, a, fractions[i]);
  }
}

// The object masks the transformer's loss weighting uses mark what the generator drew and
// nothing else: bare sky-and-ground scenes are empty, the sky's top corners are empty
// unless clouds, sun or moon are drawn, and the subject's column (scene_layout.h) holds
// whole object tokens.
TEST(ObjectWeights, MarkWhatTheSceneDraws) {
  constexpr int64_t kCount = 48, kGrid = 32;
  const auto fractions = train::object_token_fractions(0, kCount, 128, kGrid);
  ASSERT_EQ(fractions.sizes(), (std::vector<int64_t>{kCount, kGrid, kGrid}));
  int subjects = 0;
  for_each_token_scene(
      fractions, [&](uint64_t seed, const scenes::SceneAttributes &a, const torch::Tensor &f) {
        EXPECT_GE(f.min().item<float>(), 0.0f);
        EXPECT_LE(f.max().item<float>(), 1.0f);
        const bool sky_objects = a.clouds || a.celestial != scenes::Celestial::kNone;
        if (!sky_objects) {
          EXPECT_EQ(f[0][0].item<float>(), 0.0f);
          EXPECT_EQ(f[0][kGrid - 1].item<float>(), 0.0f);
        }
        if (!sky_objects && a.backdrop == scenes::Backdrop::kNone && !a.has_subject()) {
          EXPECT_EQ(f.max().item<float>(), 0.0f);
        }
        if (a.has_subject()) {
          ++subjects;
          const auto p = scenes::subject_placement(a, seed);
          const int64_t column = std::clamp<int64_t>(int64_t(p.u * kGrid), 0, kGrid - 1);
          EXPECT_GT(f.slice(0, kGrid / 2).select(1, column).max().item<float>(), 0.9f);
        }
      });
  EXPECT_GT(subjects, kCount / 2);
  const float share = fractions.mean().item<float>();
  EXPECT_GT(share, 0.05f);
  EXPECT_LT(share, 0.5f);
}

// The sun or moon's own weights cover its disc and nothing else: empty without one, whole
// tokens in its upper half, nothing below the horizon, and (unless it is a low sunset sun,
// which a backdrop may hide in part) an area within a third of the drawn disc's. Clouds that
// keep clear of the disc are not counted, though the scene without the disc draws them.
TEST(ObjectWeights, CelestialMarksOnlyTheDisc) {
  constexpr int64_t kCount = 64, kGrid = 32;
  const auto fractions = train::celestial_token_fractions(0, kCount, 128, kGrid);
  ASSERT_EQ(fractions.sizes(), (std::vector<int64_t>{kCount, kGrid, kGrid}));
  int discs = 0;
  for_each_token_scene(
      fractions, [&](uint64_t seed, const scenes::SceneAttributes &a, const torch::Tensor &f) {
        const auto p = scenes::celestial_placement(a, seed);
        if (!p.visible) {
          EXPECT_EQ(f.max().item<float>(), 0.0f);
          return;
        }
        ++discs;
        const bool low_sun = a.time == scenes::TimeOfDay::kSunset;
        // Whole tokens in the disc's column, in its upper half (a skyline may hide the rest of a
        // low sun).
        const auto upper = f.slice(0, int64_t((p.v - p.radius) * kGrid), int64_t(p.v * kGrid) + 1);
        EXPECT_GT(upper.select(1, int64_t(p.u * kGrid)).max().item<float>(), 0.9f);
        EXPECT_EQ(f.slice(0, int64_t(scenes::kHorizon * kGrid)).max().item<float>(), 0.0f);
        if (!low_sun) {
          const double area = M_PI * p.radius * p.radius * kGrid * kGrid;
          EXPECT_NEAR(f.sum().item<double>(), area, area / 3);
        }
      });
  EXPECT_GT(discs, kCount / 4);
}

// The subject's own weights cover the subject and nothing else: empty without one, nothing
// above the horizon or outside its bounding box (scene_layout.h, one token of blur around
// it), whole tokens at its centre, and an area between 40% of the box's (a ball fills pi/4
// of it, a bottle's shoulders and a car's wheels leave out more) and the box grown by half a
// token on each side (a box fills it, and its anti-aliased rim reaches past it).
TEST(ObjectWeights, SubjectMarksOnlyTheSubject) {
  constexpr int64_t kCount = 64, kGrid = 32;
  const auto fractions = train::subject_token_fractions(0, kCount, 128, kGrid);
  ASSERT_EQ(fractions.sizes(), (std::vector<int64_t>{kCount, kGrid, kGrid}));
  int subjects = 0;
  for_each_token_scene(fractions, [&](uint64_t seed, const scenes::SceneAttributes &a,
                                      const torch::Tensor &f) {
    if (!a.has_subject()) {
      EXPECT_EQ(f.max().item<float>(), 0.0f);
      return;
    }
    ++subjects;
    const auto p = scenes::subject_placement(a, seed);
    const auto token = [&](double x) { return std::clamp<int64_t>(int64_t(x * kGrid), 0, kGrid); };
    const int64_t top = token(scenes::kSubjectBase - p.height) - 1;
    const int64_t left = token(p.u - p.width / 2) - 1, right = token(p.u + p.width / 2) + 2;
    const auto box =
        f.slice(0, std::max<int64_t>(top, 0)).slice(1, std::max<int64_t>(left, 0), right);
    EXPECT_FLOAT_EQ(box.sum().item<float>(), f.sum().item<float>()) << "weight outside the box";
    EXPECT_EQ(f.slice(0, 0, int64_t(scenes::kHorizon * kGrid)).max().item<float>(), 0.0f);
    const int64_t centre_row = token(scenes::kSubjectBase - p.height / 2);
    EXPECT_GT(f[centre_row][token(p.u)].item<float>(), 0.9f);
    const double box_area = p.width * p.height * kGrid * kGrid;
    EXPECT_GT(f.sum().item<double>(), 0.4 * box_area);
    EXPECT_LT(f.sum().item<double>(), (p.width * kGrid + 1) * (p.height * kGrid + 1));
  });
  EXPECT_GT(subjects, kCount / 2);
}

// The weights the transformer stage adds are the weighted sum of the two shares, and none at
// all when both weights are 0 (the loss is then the object weight's alone).
TEST(ObjectWeights, ExtraWeightsAddTheSharesItNames) {
  constexpr int64_t kCount = 8, kGrid = 16;
  auto extra = [&](double celestial, double subject, int64_t reach = 0) {
    return train::extra_token_weights(0, kCount, 64, kGrid, {celestial, subject, reach});
  };
  EXPECT_FALSE(extra(0, 0).defined());
  EXPECT_FALSE(extra(0, 0, 2).defined());
  const auto celestial = train::celestial_token_fractions(0, kCount, 64, kGrid);
  const auto subject = train::subject_token_fractions(0, kCount, 64, kGrid);
  EXPECT_TRUE(extra(5, 0).equal(5 * celestial));
  EXPECT_TRUE(torch::allclose(extra(2, 3), 2 * celestial + 3 * subject));
  EXPECT_TRUE(torch::allclose(extra(2, 3, 1), 2 * celestial + 3 * train::grown_shares(subject, 1)));
}

// With a reach, the subject's weight also covers the ground around it, by the reach in
// every direction: along the row through its middle, the weighted run is the subject's
// width plus twice the reach (within the rim's token), the tokens just outside the reach
// are not weighted, and the subject's own tokens keep their share.
TEST(ObjectWeights, SubjectReachCoversTheGroundAroundIt) {
  constexpr int64_t kCount = 48, kGrid = 32, kReach = 2;
  const auto shares = train::subject_token_fractions(0, kCount, 128, kGrid);
  const auto grown = train::grown_shares(shares, kReach);
  ASSERT_EQ(grown.sizes(), shares.sizes());
  EXPECT_TRUE(grown.ge(shares).all().item<bool>());
  EXPECT_TRUE(train::grown_shares(shares, 0).equal(shares));
  int subjects = 0;
  for_each_token_scene(
      grown, [&](uint64_t seed, const scenes::SceneAttributes &a, const torch::Tensor &g) {
        if (!a.has_subject()) {
          EXPECT_EQ(g.max().item<float>(), 0.0f);
          return;
        }
        ++subjects;
        const auto p = scenes::subject_placement(a, seed);
        const int64_t row = int64_t((scenes::kSubjectBase - p.height / 2) * kGrid);
        const auto weighted = g[row].gt(0.5f).nonzero().flatten();
        ASSERT_GT(weighted.numel(), 0);
        const int64_t first = weighted.min().item<int64_t>(), last = weighted.max().item<int64_t>();
        EXPECT_EQ(last - first + 1, weighted.numel()) << "one run along the row";
        const double width = p.width * kGrid + 2 * kReach;
        EXPECT_NEAR(double(last - first + 1), width, 1.5);
        // Three tokens beyond the box's sides (the rim's token and the reach) nothing is weighted.
        const int64_t left_clear = int64_t((p.u - p.width / 2) * kGrid) - kReach - 2;
        const int64_t right_clear = int64_t((p.u + p.width / 2) * kGrid) + kReach + 2;
        if (left_clear >= 0) {
          EXPECT_EQ(g.select(1, left_clear).max().item<float>(), 0.0f);
        }
        if (right_clear < kGrid) {
          EXPECT_EQ(g.select(1, right_clear).max().item<float>(), 0.0f);
        }
      });
  EXPECT_GT(subjects, kCount / 2);
}

// The training mask: the cosine schedule masks a share cos(pi/2 * t) of the tokens, on
// average 2/pi; object masking adds whole regions, which are then always masked.
TEST(TokenMask, CosineShareAndForcedRegions) {
  constexpr int64_t kBatch = 512, kGrid = 16;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto plain = train::draw_token_mask(kBatch, kGrid, kGrid, gen);
  ASSERT_EQ(plain.sizes(), (std::vector<int64_t>{kBatch, kGrid, kGrid}));
  EXPECT_NEAR(plain.to(torch::kFloat64).mean().item<double>(), 2.0 / M_PI, 0.03);
  EXPECT_TRUE(plain.flatten(1).any(1).all().item<bool>()) << "an example with nothing masked";

  auto forced = torch::zeros({kBatch, kGrid, kGrid}, torch::kBool);
  forced.slice(0, 0, kBatch / 2).slice(1, 4, 8).slice(2, 2, 10).fill_(true);
  const auto mask = train::draw_token_mask(kBatch, kGrid, kGrid, gen, forced);
  EXPECT_TRUE(mask.masked_select(forced).all().item<bool>());
  // Outside the forced region the draw is the plain schedule's.
  const auto outside = mask.logical_and(forced.logical_not());
  const double share =
      outside.to(torch::kFloat64).sum().item<double>() / forced.logical_not().sum().item<double>();
  EXPECT_NEAR(share, 2.0 / M_PI, 0.03);

  // A floor f moves the first half's share to the cosine density over [f, 1], whose mean is
  // sin(acos f) / acos f; the second half keeps the plain schedule.
  constexpr double kFloor = 0.8;
  auto floor = torch::zeros({kBatch});
  floor.slice(0, 0, kBatch / 2).fill_(kFloor);
  const auto floored = train::draw_token_mask(kBatch, kGrid, kGrid, gen, {}, floor)
                           .flatten(1)
                           .to(torch::kFloat64)
                           .mean(1);
  const auto high = floored.slice(0, 0, kBatch / 2), low = floored.slice(0, kBatch / 2);
  EXPECT_GE(high.min().item<double>(), kFloor - 1.0 / (kGrid * kGrid));
  EXPECT_NEAR(high.mean().item<double>(), std::sin(std::acos(kFloor)) / std::acos(kFloor), 0.01);
  EXPECT_NEAR(low.mean().item<double>(), 2.0 / M_PI, 0.05);
  EXPECT_LT(low.min().item<double>(), 0.5);
}

// Ground masking hides every token of the rows below the horizon in the chosen examples and
// nothing else, and every subject the generator draws stands inside those rows: the masked
// region is the same in every scene, so it never shows where the subject is or how tall.
TEST(TokenMask, GroundMaskCoversEverySubject) {
  constexpr int64_t kGrid = 32;
  const auto first_row = static_cast<int64_t>(std::ceil(scenes::kHorizon * kGrid));
  const auto mask =
      train::rows_mask(torch::tensor({true, false, true}), kGrid, kGrid, first_row, kGrid);
  ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{3, kGrid, kGrid}));
  EXPECT_TRUE(mask[0].slice(0, first_row).all().item<bool>());
  EXPECT_FALSE(mask[0].slice(0, 0, first_row).any().item<bool>());
  EXPECT_FALSE(mask[1].any().item<bool>());
  EXPECT_TRUE(mask[2].equal(mask[0]));
  // Sky masking hides the other rows.
  const auto sky = train::rows_mask(torch::tensor({true}), kGrid, kGrid, 0, first_row);
  EXPECT_TRUE(sky[0].logical_xor(mask[0]).all().item<bool>());

  double highest_top = 1.0;
  int subjects = 0;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    const auto a = scenes::sample_attributes(seed, scenes::Split::kTrain);
    const auto p = scenes::subject_placement(a, seed);
    if (!p.visible) continue;
    ++subjects;
    highest_top = std::min(highest_top, scenes::kSubjectBase - p.height);
  }
  ASSERT_GT(subjects, 1000);
  EXPECT_GE(highest_top, double(first_row) / kGrid);
  // The tallest subjects reach the horizon: the mask is not larger than it has to be.
  EXPECT_LT(highest_top, double(first_row + 1) / kGrid);
}

// The column ramps: at the first decoding step (every token masked) the down block's output
// is the same in every column except for what the zero padding lets through. Seeded, its
// channel 0 rises over the first 8 columns and channel 1 over the last 8, by the same step
// per column also when the content is ten times larger; from
// the plain start, the columns where a subject stands "at the left" and "at the right"
// (4 and 11 of 16) are nearly the same.
TEST(WeightInit, PositionChannelsTellColumnsApart) {
  torch::NoGradGuard no_grad;
  const auto c = train::model_configs("default");
  // content_gain scales the content channels' input convolution and depthwise taps after
  // seeding, as training grows them (10x in 20 minutes, measured on the default preset).
  auto down_block_output = [&](bool seeded, double content_gain = 1.0) {
    transformer::UVit2DModel uvit(c.uvit);
    nn::init_parameters(*uvit, 0.02, 3);
    if (seeded) train::seed_position_channels(uvit);
    using torch::indexing::Slice;
    uvit->embed->conv->weight.index({Slice(3)}).mul_(content_gain);
    for (const auto &block : *uvit->down_block->res_blocks)
      block->as<transformer::ConvNextBlockImpl>()
          ->depthwise->weight.index({Slice(3)})
          .mul_(content_gain);
    const int64_t n = c.uvit.sample_size;
    auto ids = torch::full({1, n, n}, c.uvit.vocab_size - 1, torch::kLong);
    auto cond = torch::randn({1, c.uvit.hidden_size});
    auto text = torch::randn({1, 77, c.uvit.hidden_size});
    return uvit->down_block->forward(uvit->embed->forward(ids), cond, text)[0];  // [C,h,w]
  };
  // Distance between columns 4 and 11 (middle row, all channels), relative to the features.
  auto left_right_distance = [](const torch::Tensor &out) {
    const auto row = out.select(1, out.size(1) / 2);  // [C, w]
    return (row.select(1, 4) - row.select(1, 11)).norm().item<double>() /
           row.norm(2, 0).mean().item<double>();
  };
  const auto plain = down_block_output(false), seeded = down_block_output(true);
  auto expect_steps = [](const torch::Tensor &out, double low, double high) {
    const auto c0 = out[0].select(0, out.size(1) / 2);
    const auto c1 = out[1].select(0, out.size(1) / 2);
    const int64_t w = c0.size(0);
    for (int64_t x = 1; x < 8; ++x) {
      const double left_step = (c0[x] - c0[x - 1]).item<double>();
      const double right_step = (c1[w - 1 - x] - c1[w - x]).item<double>();
      EXPECT_TRUE(left_step > low && left_step < high) << "column " << x << ": " << left_step;
      EXPECT_TRUE(right_step > low && right_step < high)
          << "column " << w - 1 - x << ": " << right_step;
    }
  };
  // Channel 2 dominates every norm on the path, so each step is the seeded 0.125 whatever
  // the (random) condition; content grown tenfold makes the block norms' divisor larger and
  // the inner steps shorter, but the ramps still rise over every column.
  expect_steps(seeded, 0.12, 0.13);
  expect_steps(down_block_output(true, 10.0), 0.06, 0.13);
  const double d_plain = left_right_distance(plain), d_seeded = left_right_distance(seeded);
  std::printf("columns 4 / 11 apart: plain %.3g, seeded %.3g\n", d_plain, d_seeded);
  EXPECT_GT(d_seeded, 10 * d_plain);
}

// An interrupted run that resumes ends with the weights of an uninterrupted one.
TEST(TinyTraining, ResumeContinuesFromSavedStep) {
  TempDir tmp;
  auto straight = tiny_model(tmp.path() / "a");
  auto resumed = tiny_model(tmp.path() / "b");
  const auto r1 = train::train_vq(straight->vqvae(), vq_options(tmp.path() / "a.ckpt", 24));
  EXPECT_EQ(r1.steps, 24);

  auto interrupted = vq_options(tmp.path() / "b.ckpt", 24);
  interrupted.stop_at_step = 12;
  EXPECT_EQ(train::train_vq(resumed->vqvae(), interrupted).steps, 12);
  auto fresh = tiny_model(tmp.path() / "c");  // a new process: fresh weights, then resume
  auto o = vq_options(tmp.path() / "b.ckpt", 24);
  o.resume = true;
  const auto r2 = train::train_vq(fresh->vqvae(), o);
  EXPECT_EQ(r2.steps, 24);
  auto a = straight->vqvae()->named_parameters();
  for (const auto &p : fresh->vqvae()->named_parameters())
    EXPECT_TRUE(torch::allclose(p.value(), a[p.key()], 1e-4, 1e-5)) << p.key();

  // The transformer stage resumes the same way.
  const auto data =
      train::build_token_dataset(straight->vqvae(), straight->tokenizer(), 0, 32, 32, true);
  auto t1 = tiny_model(tmp.path() / "d");
  auto t2 = tiny_model(tmp.path() / "e");
  const auto empty = t1->tokenizer().encode_padded("");
  train::train_transformer(t1->text_encoder(), t1->transformer(), data, empty,
                           transformer_options(tmp.path() / "d.ckpt", 10));
  auto stopped = transformer_options(tmp.path() / "e.ckpt", 10);
  stopped.stop_at_step = 5;
  train::train_transformer(t2->text_encoder(), t2->transformer(), data, empty, stopped);
  auto t3 = tiny_model(tmp.path() / "f");
  auto to = transformer_options(tmp.path() / "e.ckpt", 10);
  to.resume = true;
  EXPECT_EQ(train::train_transformer(t3->text_encoder(), t3->transformer(), data, empty, to).steps,
            10);
  auto b = t1->transformer()->named_parameters();
  for (const auto &p : t3->transformer()->named_parameters())
    EXPECT_TRUE(torch::allclose(p.value(), b[p.key()], 1e-4, 1e-5)) << p.key();
}

// --plain-loss-share: the last share of the budget trades the token weights for the ones it
// keeps (the sun or moon's). Over the whole budget the run is exactly the one with those alone;
// over half of it, neither that run nor the fully weighted one.
TEST(TinyTraining, PlainLossShareDropsTheTokenWeights) {
  TempDir tmp;
  auto source = tiny_model(tmp.path() / "src");
  train::train_vq(source->vqvae(), vq_options(tmp.path() / "vq.ckpt", 10));
  const auto data =
      train::build_token_dataset(source->vqvae(), source->tokenizer(), 0, 32, 32, true);
  const auto empty = source->tokenizer().encode_padded("");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto weights = 1.0 + 4.0 * torch::rand(data.tokens.sizes(), gen);
  auto run = [&](const char *name, bool weighted, double plain_share,
                 const torch::Tensor &kept = {}) {
    auto m = tiny_model(tmp.path() / name);
    auto o = transformer_options(tmp.path() / (std::string(name) + ".ckpt"), 10);
    if (weighted) o.extra_weights = weights;
    o.plain_loss_share = plain_share;
    o.plain_loss_extra_weights = kept;
    train::train_transformer(m->text_encoder(), m->transformer(), data, empty, o);
    return m;
  };
  auto same = [](const std::shared_ptr<Model> &a, const std::shared_ptr<Model> &b) {
    auto pa = a->transformer()->named_parameters();
    for (const auto &p : b->transformer()->named_parameters())
      if (!torch::allclose(p.value(), pa[p.key()], 1e-5, 1e-6)) return false;
    return true;
  };
  const auto unweighted = run("u", false, 0.0);
  const auto weighted = run("w", true, 0.0);
  EXPECT_FALSE(same(unweighted, weighted)) << "the weights change nothing: the test cannot tell";
  EXPECT_TRUE(same(unweighted, run("p1", true, 1.0)));
  const auto half = run("p05", true, 0.5);
  EXPECT_FALSE(same(half, unweighted));
  EXPECT_FALSE(same(half, weighted));
  // What the plain phase keeps, it keeps: the same weights kept make the weighted run.
  EXPECT_TRUE(same(weighted, run("k1", true, 1.0, weights)));
}

// With --pin-position-channels the optimizer moves every weight but the ramp path's: its
// entries end exactly as seeded, while the rest of the same tensors train (and, without the
// pins, the path's entries train too).
TEST(TinyTraining, PinnedPositionPathSurvivesTraining) {
  TempDir tmp;
  auto run = [&](const std::string &name, bool pin) {
    auto m = tiny_model(tmp.path() / name);
    train::PinnedWeights pinned;
    train::seed_position_channels(m->transformer(), pin ? &pinned : nullptr);
    std::map<std::string, torch::Tensor> seeded;
    for (const auto &p : m->transformer()->named_parameters())
      seeded[p.key()] = p.value().detach().clone();
    const auto data = train::build_token_dataset(m->vqvae(), m->tokenizer(), 0, 32, 32, true);
    auto o = transformer_options(tmp.path() / (name + ".ckpt"), 10);
    if (pin) o.pinned = &pinned;
    train::train_transformer(m->text_encoder(), m->transformer(), data,
                             m->tokenizer().encode_padded(""), o);
    // Largest change of the path's entries and of the other entries of the same tensors.
    auto params = m->transformer()->named_parameters();
    auto change = [&](const std::string &key, std::vector<at::indexing::TensorIndex> path) {
      auto moved = (params[key].detach() - seeded[key]).abs();
      auto other = torch::ones_like(moved, torch::kBool);
      other.index_put_(path, false);
      return std::pair{moved.index(path).max().item<double>(),
                       moved.masked_select(other).max().item<double>()};
    };
    using torch::indexing::Slice;
    const std::string block = "down_block.res_blocks.0.";
    const int64_t ch = train::model_configs("tiny").uvit.block_out_channels;
    return std::vector<std::pair<double, double>>{
        change("embed.embeddings.weight", {Slice(), 0}),
        change(block + "depthwise.weight", {Slice(0, 3)}),
        change(block + "channelwise_linear_1.weight", {Slice(0, 4)}),
        change(block + "channelwise_linear_2.weight", {Slice(0, 3)}),
        change(block + "channelwise_norm.gamma", {0, 0, 0, Slice(0, 4)}),
        change(block + "cond_embeds_mapper.weight", {Slice(ch, ch + 3)}),
        change("down_block.attention_blocks.0.attn1.to_out.0.weight", {Slice(0, 3)})};
  };
  const auto pinned = run("pinned", true), free = run("free", false);
  for (size_t i = 0; i < pinned.size(); ++i) {
    EXPECT_EQ(pinned[i].first, 0.0) << "tensor " << i;
    EXPECT_GT(pinned[i].second, 1e-4) << "tensor " << i;
    EXPECT_GT(free[i].first, 1e-4) << "tensor " << i;
  }
}

// Calls `f(argc, argv)` with "amused-train" and `args` as the command line.
template <typename F>
auto with_command_line(std::vector<std::string> args, F f) {
  args.insert(args.begin(), "amused-train");
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  return f(static_cast<int>(argv.size()), argv.data());
}

int run_train(std::vector<std::string> args) {
  return with_command_line(std::move(args), train::train_main);
}

// The shipped model's recipe is the default (models/README.md): position channels and ground
// masking, and each can be turned off by name.
TEST(TrainOptions, DefaultsAreTheShippedRecipe) {
  auto parse = [](std::vector<std::string> args) {
    return with_command_line(std::move(args), train::parse_train_options);
  };
  const auto defaults = parse({"transformer"});
  EXPECT_TRUE(defaults.position_channels);
  EXPECT_FALSE(defaults.pin_position_channels);
  EXPECT_EQ(defaults.ground_masking, 0.25);
  const auto off = parse({"transformer", "--pin-position-channels", "--no-position-channels",
                          "--ground-masking", "0"});
  EXPECT_FALSE(off.position_channels);
  EXPECT_FALSE(off.pin_position_channels);
  EXPECT_EQ(off.ground_masking, 0.0);
  EXPECT_TRUE(parse({"transformer", "--no-position-channels", "--pin-position-channels"})
                  .pin_position_channels);
  // The text encoder and U-ViT stage draws from --seed + 1 unless told.
  EXPECT_EQ(defaults.text_and_transformer_seed(), 1u);
  EXPECT_EQ(parse({"transformer", "--seed", "4"}).text_and_transformer_seed(), 5u);
  EXPECT_EQ(
      parse({"transformer", "--seed", "4", "--transformer-seed", "0"}).text_and_transformer_seed(),
      0u);
  // The subject weight covers the subject's own tokens unless a reach is asked for.
  EXPECT_EQ(defaults.subject_reach, 0);
  EXPECT_EQ(parse({"transformer", "--subject-reach", "2"}).subject_reach, 2);
  for (const char *bad : {"1.5", "-1", "two"}) {
    try {
      parse({"transformer", "--subject-reach", bad});
      ADD_FAILURE() << "--subject-reach " << bad << " accepted";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("--subject-reach"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(defaults.plain_loss_share, 0.15);
  EXPECT_EQ(parse({"transformer", "--plain-loss-share", "0.2"}).plain_loss_share, 0.2);
  try {
    parse({"transformer", "--plain-loss-share", "1.5"});
    ADD_FAILURE() << "--plain-loss-share 1.5 accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("--plain-loss-share"), std::string::npos) << e.what();
  }
  // The shipped recipe's share of free phrasing unless another is asked for; 0 turns it off.
  EXPECT_EQ(defaults.free_captions, 0.35);
  EXPECT_EQ(parse({"transformer", "--free-captions", "0"}).free_captions, 0.0);
  // Real pictures: in the decoder's examples by default, not in the VQ's (codes stay scenes').
  EXPECT_EQ(defaults.photo_share, 0.0);
  EXPECT_EQ(defaults.decoder_photo_share, 0.3);
  EXPECT_EQ(parse({"decoder", "--decoder-photo-share", "0"}).decoder_photo_share, 0.0);
  EXPECT_THROW(parse({"decoder", "--decoder-photo-share", "-0.1"}), Error);
  EXPECT_EQ(parse({"transformer", "--free-captions", "0.6"}).free_captions, 0.6);
  EXPECT_THROW(parse({"transformer", "--free-captions", "1.5"}), Error);
}

// `amused train all` ends within --total-minutes (default 89) however long the VQ and token
// stages took: the transformer gets what is left after the text pretraining, the decoder
// stage and a minute for setup and export, up to its own budget. Other stages keep theirs.
TEST(TrainOptions, TotalMinutesShortensOnlyTheTransformer) {
  auto parse = [](std::vector<std::string> args) {
    return with_command_line(std::move(args), train::parse_train_options);
  };
  const auto all = parse({"all"});
  EXPECT_EQ(all.total_minutes, 89.0);
  // VQ 22 and tokens 4.2 minutes (a fast hour): 55.8 left, so the full 53.
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(all, 26.2), 53.0);
  // Tokens 12 minutes (a slow hour): 89 - 34 - 2 - 4 - 1.
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(all, 34.0), 48.0);
  // Never 0, which the stage would read as no limit at all.
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(all, 120.0), 1.0);
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(parse({"transformer"}), 34.0), 53.0);
  EXPECT_DOUBLE_EQ(
      train::transformer_minutes_within_total(parse({"all", "--total-minutes", "0"}), 34.0), 53.0);
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(
                       parse({"all", "--total-minutes", "120", "--decoder-minutes", "10"}), 34.0),
                   53.0);
  EXPECT_DOUBLE_EQ(train::transformer_minutes_within_total(
                       parse({"all", "--total-minutes", "80", "--decoder-minutes", "10"}), 24.0),
                   43.0);
  try {
    parse({"all", "--total-minutes", "soon"});
    ADD_FAILURE() << "--total-minutes soon accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("--total-minutes"), std::string::npos) << e.what();
  }
}

// What a run that must be refused prints; the exit code must be 1.
std::string run_train_refused(const std::vector<std::string> &args) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_train(args), 1);
  return testing::internal::GetCapturedStderr();
}

std::vector<std::string> tiny_run_args(const std::string &stage, const std::string &work,
                                       const std::string &out) {
  return {stage,
          "--preset",
          "tiny",
          "--work",
          work,
          "--out",
          out,
          "--tokenizer",
          kTokenizer.string(),
          "--vq-steps",
          "10",
          "--text-pretrain-steps",
          "10",
          "--transformer-steps",
          "10",
          "--decoder-steps",
          "3",
          "--tokens",
          "32",
          "--batch",
          "8",
          "--photo-share",
          "0",
          "--decoder-photo-share",
          "0",
          "--quiet"};
}

// The command line end to end: all stages, export, then the engine loads and generates.
TEST(TinyTraining, CommandLineExportLoadsAndGenerates) {
  TempDir tmp;
  const std::string work = (tmp.path() / "work").string(), out = (tmp.path() / "model").string();
  auto args = tiny_run_args("all", work, out);
  ASSERT_EQ(run_train(args), 0);
  for (const char *f : {"model_index.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
                        "text_encoder/model.fp16.safetensors",
                        "transformer/diffusion_pytorch_model.fp16.safetensors",
                        "vqvae/diffusion_pytorch_model.fp16.safetensors", "vqvae/config.json"})
    EXPECT_TRUE(fs::exists(tmp.path() / "model" / f)) << f;

  auto model = load_model(out);
  EXPECT_EQ(describe(*model).native_width, 32);
  GenerateParams p;
  p.prompt = "a red ball in the middle of a field under a daytime sky";
  p.steps = 4;
  p.guidance_scale = 3.0;
  const Result r = text_to_image(*model, p);
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].width, 32);
  EXPECT_EQ(r.images[0].height, 32);

  // --resume of a finished run does no more steps and still exports.
  args.push_back("--resume");
  ASSERT_EQ(run_train(args), 0);
  EXPECT_NO_THROW(load_model(out));
}

// Whether two modules hold the same parameters, bit for bit.
bool same_parameters(const torch::nn::Module &a, const torch::nn::Module &b) {
  auto theirs = b.named_parameters();
  for (const auto &p : a.named_parameters())
    if (!torch::equal(p.value(), theirs[p.key()])) return false;
  return true;
}

// --vq-from retrains the text encoder and transformer on an exported model's VQ: the tokens
// and the new export use that VQ unchanged, and a VQ of another preset, or a stage that
// would train the VQ, is refused.
TEST(TinyTraining, VqFromKeepsAnExportedVq) {
  TempDir tmp;
  const std::string first = (tmp.path() / "first").string();
  ASSERT_EQ(run_train(tiny_run_args("all", (tmp.path() / "work1").string(), first)), 0);

  const std::string second = (tmp.path() / "second").string();
  auto args = tiny_run_args("transformer", (tmp.path() / "work2").string(), second);
  args.insert(args.end(), {"--vq-from", first});
  ASSERT_EQ(run_train(args), 0);
  EXPECT_FALSE(fs::exists(tmp.path() / "work2" / "vq.ckpt"));
  args[0] = "export";
  ASSERT_EQ(run_train(args), 0);

  const auto a = load_model(first), b = load_model(second);
  auto theirs = a->vqvae()->named_parameters();
  const auto ours = b->vqvae()->named_parameters();
  for (const auto &p : ours) EXPECT_TRUE(torch::equal(p.value(), theirs[p.key()])) << p.key();
  EXPECT_GT(ours.size(), 10u);
  // The transformer did train anew: it is not the first run's.
  EXPECT_FALSE(torch::equal(a->transformer()->parameters()[0], b->transformer()->parameters()[0]));

  // The default preset's VQ is not the tiny preset's: refused, naming the file.
  auto wrong = tiny_run_args("tokens", (tmp.path() / "work3").string(), second);
  wrong.insert(wrong.end(), {"--vq-from", default_model_dir().string()});
  const std::string refused = run_train_refused(wrong);
  EXPECT_NE(refused.find("vqvae/config.json: not the VQ of this preset"), std::string::npos)
      << refused;
  EXPECT_FALSE(fs::exists(tmp.path() / "work3" / "tokens.pt"));

  auto vq_stage = tiny_run_args("vq", (tmp.path() / "work3").string(), second);
  vq_stage.insert(vq_stage.end(), {"--vq-from", first});
  const std::string stage_refused = run_train_refused(vq_stage);
  EXPECT_NE(stage_refused.find("--vq-from: stage vq trains the VQ"), std::string::npos)
      << stage_refused;
}

// Stage decoder with --vq-from fine-tunes an exported model's decoder again over its codes;
// export with --transformer-from then writes that decoder beside the model's own encoder,
// codes, text encoder and transformer. A decoder checkpoint fine-tuned over another VQ, and
// --transformer-from at another stage, are refused.
TEST(TinyTraining, DecoderFineTunedAgainOverAnExportedModel) {
  TempDir tmp;
  const std::string first = (tmp.path() / "first").string();
  ASSERT_EQ(run_train(tiny_run_args("all", (tmp.path() / "work1").string(), first)), 0);

  const std::string second = (tmp.path() / "second").string();
  auto args = tiny_run_args("decoder", (tmp.path() / "work2").string(), second);
  args.insert(args.end(), {"--vq-from", first});
  ASSERT_EQ(run_train(args), 0);
  EXPECT_TRUE(fs::exists(tmp.path() / "work2" / "vq_decoder.ckpt"));
  EXPECT_FALSE(fs::exists(tmp.path() / "work2" / "vq.ckpt"));
  args[0] = "export";
  args.insert(args.end(), {"--transformer-from", first});
  ASSERT_EQ(run_train(args), 0);

  const auto a = load_model(first), b = load_model(second);
  EXPECT_TRUE(same_parameters(*a->vqvae()->encoder, *b->vqvae()->encoder));
  EXPECT_TRUE(same_parameters(*a->vqvae()->quantize, *b->vqvae()->quantize));
  EXPECT_FALSE(same_parameters(*a->vqvae()->decoder, *b->vqvae()->decoder));
  EXPECT_TRUE(same_parameters(*a->text_encoder(), *b->text_encoder()));
  EXPECT_TRUE(same_parameters(*a->transformer(), *b->transformer()));

  // work1's decoder was fine-tuned over a VQ of seed 0; a VQ of seed 3 cannot take it.
  const std::string other = (tmp.path() / "other").string();
  auto vq3 = tiny_run_args("vq", (tmp.path() / "work3").string(), other);
  vq3.insert(vq3.end(), {"--seed", "3"});
  ASSERT_EQ(run_train(vq3), 0);
  vq3[0] = "export";
  ASSERT_EQ(run_train(vq3), 0);
  auto stale = tiny_run_args("export", (tmp.path() / "work1").string(), second);
  stale.insert(stale.end(), {"--vq-from", other});
  const std::string refused = run_train_refused(stale);
  EXPECT_NE(refused.find("vq_decoder.ckpt: fine-tuned over another VQ than"), std::string::npos)
      << refused;

  auto wrong_stage = tiny_run_args("transformer", (tmp.path() / "work2").string(), second);
  wrong_stage.insert(wrong_stage.end(), {"--transformer-from", first});
  EXPECT_NE(run_train_refused(wrong_stage).find("--transformer-from: only stage export"),
            std::string::npos);
}

// The text encoder and U-ViT start from --transformer-seed (default --seed + 1), exactly as
// lab::create_model with that seed starts them, whatever --seed the VQ stages use: the shipped
// model's U-ViT stage ran with seed 1 on the VQ and tokens of seed 0 (README).
TEST(TinyTraining, TransformerSeedStartsTheTextEncoderAndUVit) {
  TempDir tmp;
  const fs::path source = tmp.path() / "source";
  lab::save_model(*tiny_model(tmp.path() / "vq", 9), source);
  // Without a transformer checkpoint, export writes the initial weights.
  auto initial = [&](const std::string &name, std::vector<std::string> seeds) {
    const fs::path out = tmp.path() / name;
    auto args = tiny_run_args("export", (tmp.path() / ("work-" + name)).string(), out.string());
    args.insert(args.end(), {"--vq-from", source.string(), "--fp32"});
    args.insert(args.end(), seeds.begin(), seeds.end());
    EXPECT_EQ(run_train(args), 0);
    return load_model(out);
  };
  const auto by_default = initial("default", {});
  const auto same_stage_seed = initial("same", {"--seed", "5", "--transformer-seed", "1"});
  const auto other_stage_seed = initial("other", {"--transformer-seed", "2"});
  EXPECT_TRUE(same_parameters(*by_default->text_encoder(), *same_stage_seed->text_encoder()));
  EXPECT_TRUE(same_parameters(*by_default->transformer(), *same_stage_seed->transformer()));
  EXPECT_FALSE(same_parameters(*by_default->text_encoder(), *other_stage_seed->text_encoder()));
  EXPECT_FALSE(same_parameters(*by_default->transformer(), *other_stage_seed->transformer()));

  auto created = tiny_model(tmp.path() / "created", 1);
  train::seed_position_channels(created->transformer());
  EXPECT_TRUE(same_parameters(*by_default->text_encoder(), *created->text_encoder()));
  EXPECT_TRUE(same_parameters(*by_default->transformer(), *created->transformer()));
}

// A token dataset remembers which VQ encoded it: the transformer stage refuses tokens.pt
// from another VQ (a run that retrained the VQ in the same work folder), and the tokens
// stage under --resume encodes them again instead of keeping them.
TEST(TinyTraining, TransformerRefusesTokensOfAnotherVq) {
  TempDir tmp;
  const std::string first = (tmp.path() / "work1").string(),
                    second = (tmp.path() / "work2").string(), out = (tmp.path() / "model").string();
  ASSERT_EQ(run_train(tiny_run_args("vq", first, out)), 0);
  ASSERT_EQ(run_train(tiny_run_args("tokens", first, out)), 0);
  auto reseeded = tiny_run_args("vq", second, out);
  reseeded.insert(reseeded.end(), {"--seed", "1"});
  ASSERT_EQ(run_train(reseeded), 0);
  fs::copy_file(fs::path(first) / "tokens.pt", fs::path(second) / "tokens.pt");

  const std::string refused = run_train_refused(tiny_run_args("transformer", second, out));
  EXPECT_NE(refused.find("tokens.pt: encoded by another VQ than"), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(fs::path(second) / "transformer.ckpt"));

  auto tokens = tiny_run_args("tokens", second, out);
  tokens.push_back("--resume");
  ASSERT_EQ(run_train(tokens), 0);
  EXPECT_EQ(run_train(tiny_run_args("transformer", second, out)), 0);
  EXPECT_TRUE(fs::exists(fs::path(second) / "transformer.ckpt"));
}

// --text-layers changes the text encoder's depth in the trained and exported model; one layer
// is refused (the pipeline reads the next-to-last layer's states).
TEST(TinyTraining, TextLayersReachTheExport) {
  TempDir tmp;
  const std::string out = (tmp.path() / "model").string();
  auto args = tiny_run_args("all", (tmp.path() / "work").string(), out);
  args.insert(args.end(), {"--text-layers", "3"});
  ASSERT_EQ(run_train(args), 0);
  std::ifstream f(tmp.path() / "model" / "text_encoder" / "config.json");
  const auto config = nlohmann::json::parse(f);
  EXPECT_EQ(config.at("num_hidden_layers").get<int>(), 3);
  EXPECT_EQ(load_model(out)->text_encoder()->config().num_hidden_layers, 3);

  auto one = tiny_run_args("vq", (tmp.path() / "work1").string(), out);
  one.insert(one.end(), {"--text-layers", "1"});
  const std::string refused = run_train_refused(one);
  EXPECT_NE(refused.find("--text-layers 1: at least 2"), std::string::npos) << refused;
}

// --low-res-share: the tokens stage also encodes the same scenes at --low-res-size, and the
// transformer trains on them for that share of its budget, then on the full-size scenes.
TEST(TinyTraining, ProgressiveResolutionTrainsOnBothSizes) {
  TempDir tmp;
  const std::string work = (tmp.path() / "work").string(), out = (tmp.path() / "model").string();
  ASSERT_EQ(run_train(tiny_run_args("vq", work, out)), 0);

  // The tiny preset makes 32x32 images of 8x8 tokens that the U-ViT halves: 16 is the only
  // smaller size it can train at.
  for (const char *size : {"12", "32"}) {
    auto bad = tiny_run_args("tokens", work, out);
    bad.insert(bad.end(), {"--low-res-share", "0.5", "--low-res-size", size});
    const std::string refused = run_train_refused(bad);
    EXPECT_NE(refused.find(std::string("--low-res-size ") + size +
                           ": must be a multiple of 8 below the model's size 32"),
              std::string::npos)
        << refused;
  }

  auto args = tiny_run_args("transformer", work, out);
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  args.insert(args.end(), {"--low-res-share", "0.5", "--low-res-size", "16"});
  testing::internal::CaptureStderr();
  ASSERT_EQ(run_train(args), 0);
  const std::string log = testing::internal::GetCapturedStderr();

  const auto full = train::load_token_dataset(fs::path(work) / "tokens.pt");
  const auto low = train::load_token_dataset(fs::path(work) / "tokens-16.pt");
  EXPECT_EQ(low.tokens.sizes(), (std::vector<int64_t>{32, 4, 4}));
  EXPECT_EQ(full.tokens.sizes(), (std::vector<int64_t>{32, 8, 8}));
  // The same scenes: the same captions, in the same order.
  EXPECT_TRUE(torch::equal(low.input_ids, full.input_ids));
  EXPECT_EQ(low.vq_fingerprint, full.vq_fingerprint);
  // Half of the 10 steps at 16x16, then the switch.
  EXPECT_NE(log.find("transformer: from step 5 on the 32x32 scenes"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(fs::path(work) / "transformer.ckpt"));
}

// The free-phrasing prompts (written by hand, never read by the trainer) parse, each with what
// it states, and at least 100 of them, as the evaluation needs.
TEST(StatedPrompts, TheFreePhrasingSetParses) {
  const auto prompts = train::read_stated_prompts(fs::path(AMUSED_TESTS_DATA_DIR) / ".." / ".." /
                                                  "training" / "prompts" / "free-phrasing.tsv");
  ASSERT_GE(prompts.size(), 100u);
  const auto &first = prompts.front();
  EXPECT_EQ(first.prompt, "a red car driving along a road at sunset, mountains behind");
  EXPECT_EQ(first.expected.subject, scenes::SubjectKind::kCar);
  EXPECT_EQ(first.expected.colour, scenes::Colour::kRed);
  EXPECT_EQ(first.expected.ground, scenes::Ground::kRoad);
  EXPECT_TRUE(first.stated[train::attribute_index("subject_kind")]);
  EXPECT_FALSE(first.stated[train::attribute_index("clouds")]) << "left out, so not checked";
  EXPECT_FALSE(first.stated[train::attribute_index("position")]);
}

TEST(StatedPrompts, BadLinesNameTheFileLineAndKey) {
  const fs::path dir = fs::temp_directory_path() / "amused-stated-prompts-test";
  fs::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a car\tsubject=car tint=red", "unknown key 'tint'"},
      {"a car\tsubject=car colour=crimson", "colour=crimson: expected one of red"},
      {"a red sky\tcolour=red", "colour is stated without a subject"},
      {"a car on a road", "expected a prompt, a tab"},
      {"a car\tsubject=car subject=ball", "subject is stated twice"},
      {"a car\tsubject", "'subject' is not key=value"},
  };
  for (const auto &[line, message] : cases) {
    const fs::path file = dir / "prompts.tsv";
    std::ofstream(file) << "# comment\n\n" << line << "\n";
    try {
      train::read_stated_prompts(file);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(file.string() + ":3"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

// The shipped model follows held-out prompts: the checker reads back more of the prompts'
// attributes from its images than from perfectly drawn scenes that ignore the prompt, and it
// places the subject where the caption says. (The goal is 80%; the shipped model
// reaches 80.2% at its guidance of 1.75 against a 38.1% baseline on 200 prompts, see
// models/README.md.)
TEST(ShippedModel, FollowsHeldoutPrompts) {
  auto model = load_model(default_model_dir());
  ASSERT_EQ(describe(*model).native_width, 128);
  train::AdherenceOptions a;
  a.count = 32;
  a.steps = 12;
  const auto r = train::prompt_adherence(*model, a);  // at the model's own guidance
  const auto baseline = train::prompt_ignoring_baseline(a.count, 128);
  // On these 32 prompts the shipped model scores 82.5% (264/320) against the baseline's
  // 38.1% (the model before it, 78.1%). The bar, 58.1%, is above the last model whose text
  // encoder trained jointly from random weights (55.6% here, 57.7% on 200 prompts). 32 prompts
  // rather than 16, so that one attribute read differently on another processor does not decide it.
  EXPECT_GT(r.fraction(), baseline.fraction() + 0.20)
      << r.correct << "/" << r.checked << " against " << baseline.correct << "/"
      << baseline.checked;
  // Position: the model before this one put the subject anywhere (25.5% on 200 prompts, 12/32
  // here, below the bar); the models since trained with column features and ground masking
  // (69.5% on 200 and 25/32 here; the one before the shipped one 86% and 26/32, the shipped
  // one 89.5% and 29/32, at guidance 1.75). The bar
  // is 20 points above the baseline's random places (13/32).
  constexpr size_t position = train::attribute_index("position");
  EXPECT_GT(r.attribute_fraction(position), baseline.attribute_fraction(position) + 0.20)
      << r.attribute_correct[position] << "/" << r.attribute_checked[position] << " against "
      << baseline.attribute_correct[position] << "/" << baseline.attribute_checked[position];
}

// The shipped folder recommends the guidance its goldens were made at, and a call that leaves
// the scale unset gets exactly diffusers' output at that scale.
TEST(ShippedModel, GuidesAtItsRecommendedScale) {
  const fs::path dir = fs::path(AMUSED_TESTS_DATA_DIR) / "amused-default-golden";
  std::ifstream in(dir / "golden.json");
  ASSERT_TRUE(in) << (dir / "golden.json");
  const auto c = nlohmann::json::parse(in).at("cases").at(0);
  auto model = load_model(default_model_dir());
  EXPECT_EQ(describe(*model).default_guidance_scale, c.at("guidance_scale").get<double>());
  GenerateParams p;
  p.prompt = c.at("prompt").get<std::string>();
  p.seed = c.at("seed").get<uint64_t>();
  p.steps = c.at("steps").get<int>();
  std::vector<int64_t> expected;
  for (const auto &row : c.at("tokens"))
    for (const auto &id : row) expected.push_back(id.get<int64_t>());
  EXPECT_EQ(text_to_image(*model, p).tokens[0].ids, expected);
}

// The shipped VQ reconstructs scenes it never saw (held-out attribute combinations, a seed
// stream the training never drew from) at the bar of 25 dB, through 8-bit output.
TEST(ShippedModel, ReconstructsHeldoutScenes) {
  auto model = load_model(default_model_dir());
  const auto psnr = train::vq_psnr(*model, 32);
  EXPECT_GE(psnr.psnr_db, 25.0) << "worst image " << psnr.worst_image_db << " dB";
}

// The shipped VQ keeps real pictures it never saw: frames of the public sample clips in
// tests/data/footage, through encode and decode. Its decoder was fine-tuned again on
// wallpaper photographs over the same codes (models/README.md): 22.7 dB here, where the
// decoder before it, trained on scenes alone, gave 18.5 dB.
TEST(ShippedModel, ReconstructsRealFrames) {
  auto model = load_model(default_model_dir());
  const auto frames =
      train::clip_frames(train::sample_clips(fs::path(AMUSED_TESTS_DATA_DIR) / "footage"), 4);
  ASSERT_GE(frames.size(), 16u);
  const auto psnr = train::vq_psnr_pictures(*model, frames);
  EXPECT_GE(psnr.psnr_db, 21.5) << "worst image " << psnr.worst_image_db << " dB";
}

// diffusers itself runs the shipped model and gets what the engine gets: golden outputs of
// AmusedPipeline.from_pretrained(models/amused-default, variant="fp16") made by
// tests/data/amused-default-golden/make_golden.py. Token grids identical, pixels within
// 2/255 (the parity tolerances of tests/engine).
TEST(ShippedModel, MatchesDiffusers) {
  const fs::path dir = fs::path(AMUSED_TESTS_DATA_DIR) / "amused-default-golden";
  std::ifstream in(dir / "golden.json");
  ASSERT_TRUE(in) << (dir / "golden.json");
  const auto golden = nlohmann::json::parse(in);
  auto model = load_model(default_model_dir());
  ASSERT_FALSE(golden.at("cases").empty());
  for (const auto &c : golden.at("cases")) {
    GenerateParams p;
    p.prompt = c.at("prompt").get<std::string>();
    p.seed = c.at("seed").get<uint64_t>();
    p.steps = c.at("steps").get<int>();
    p.guidance_scale = c.at("guidance_scale").get<double>();
    p.width = p.height = c.at("size").get<int>();
    const Result r = text_to_image(*model, p);
    SCOPED_TRACE(p.prompt);

    const auto &rows = c.at("tokens");
    ASSERT_EQ(r.tokens[0].rows, static_cast<int>(rows.size()));
    std::vector<int64_t> expected;
    for (const auto &row : rows)
      for (const auto &id : row) expected.push_back(id.get<int64_t>());
    EXPECT_EQ(r.tokens[0].ids, expected);

    const Image want = media::read_image(dir / c.at("image").get<std::string>());
    const Image &got = r.images[0];
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    ASSERT_EQ(got.pixels.size(), want.pixels.size());
    int worst = 0;
    for (size_t i = 0; i < got.pixels.size(); ++i)
      worst = std::max(worst, std::abs(int(got.pixels[i]) - int(want.pixels[i])));
    EXPECT_LE(worst, 2);
  }
}

}  // namespace
