// Video consistency: what boundary re-masking and cross-frame attention must guarantee.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <thread>
#include <utility>
#include <vector>

#include "amused.h"
#include "golden.h"
#include "nn/layers.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"

namespace amused {
namespace {

std::shared_ptr<const Model> tiny() {
  static ModelCache cache;  // one load for the whole test binary
  return cache.get(testing::data_dir() / "amused-tiny");
}

torch::Tensor grid(const TokenGrid &g) { return torch::tensor(g.ids).view({g.rows, g.cols}); }

VideoParams pan_params(CameraMotion motion, double speed, int boundary) {
  VideoParams p;
  p.generate.prompt = "a red car on a road";
  p.generate.seed = 11;
  p.camera_motion = motion;
  p.motion_speed = speed;
  p.consistency.remask_boundary = boundary;
  return p;
}

// Under a pan by whole tokens, every visible token outside the re-masked band equals the
// previous frame's token moved by the camera: the background is kept bit for bit.
TEST(VideoPan, KeptTokensAreTheMovedPreviousTokens) {
  for (auto motion : {CameraMotion::kPanRight, CameraMotion::kPanLeft, CameraMotion::kPanDown,
                      CameraMotion::kPanUp}) {
    for (int boundary : {0, 1, 2}) {
      VideoSession session(tiny());
      const double scale = describe(session.model()).vae_scale_factor;
      auto p = pan_params(motion, scale, boundary);  // one token per frame
      auto previous = grid(session.generate_next(p).tokens);
      const int64_t rows = previous.size(0), cols = previous.size(1);
      for (int k = 1; k < 5; ++k) {
        auto frame = session.generate_next(p);
        auto now = grid(frame.tokens);
        EXPECT_GT(frame.stats.tokens_regenerated, 0);
        EXPECT_LT(frame.stats.tokens_regenerated, frame.stats.tokens_total);
        // The revealed line is the margin line; the band reaches `boundary` lines inside.
        using torch::indexing::Slice;
        // Visible line j is canvas line j + 1 (one margin line). With the band reaching
        // `boundary` lines in from the revealed margin line, and the first/last visible line
        // coming from the previous frame's invisible margin, the comparable lines are:
        torch::Tensor kept_now, kept_before;
        const int64_t far_cols = std::min(cols - 1, cols - boundary);
        const int64_t far_rows = std::min(rows - 1, rows - boundary);
        const int64_t near = std::max(boundary, 1);
        switch (motion) {
          case CameraMotion::kPanRight:  // content moves left
            kept_now = now.index({Slice(), Slice(0, far_cols)});
            kept_before = previous.index({Slice(), Slice(1, far_cols + 1)});
            break;
          case CameraMotion::kPanLeft:
            kept_now = now.index({Slice(), Slice(near, cols)});
            kept_before = previous.index({Slice(), Slice(near - 1, cols - 1)});
            break;
          case CameraMotion::kPanDown:
            kept_now = now.index({Slice(0, far_rows)});
            kept_before = previous.index({Slice(1, far_rows + 1)});
            break;
          default:
            kept_now = now.index({Slice(near, rows)});
            kept_before = previous.index({Slice(near - 1, rows - 1)});
            break;
        }
        EXPECT_TRUE(testing::identical(kept_now, kept_before))
            << to_string(motion) << " boundary " << boundary << " frame " << k;
        previous = now;
      }
    }
  }
}

TEST(VideoPan, FractionalSpeedsAccumulate) {
  VideoSession session(tiny());
  const double scale = describe(session.model()).vae_scale_factor;
  auto p = pan_params(CameraMotion::kPanRight, scale / 4.0, 1);
  session.generate_next(p);
  int regenerating_frames = 0;
  for (int k = 1; k <= 8; ++k)
    if (session.generate_next(p).stats.tokens_regenerated > 0) ++regenerating_frames;
  EXPECT_EQ(regenerating_frames, 2);  // a whole token every fourth frame
}

// The shared-region error after undoing the camera move is what the full method lowers:
// compare it with independent per-frame generation on the same prompt and seed.
TEST(VideoPan, SharedRegionErrorFarBelowIndependentFrames) {
  auto run = [](CrossFrameAttention cfa, bool reuse) {
    VideoSession session(tiny());
    // Boundary 0: on this 8x8-token model one band would be a quarter of the frame.
    auto p = pan_params(CameraMotion::kPanRight, 3.0, 0);
    p.consistency.cross_frame_attention = cfa;
    p.consistency.reuse_tokens = reuse;
    Frame previous = session.generate_next(p);
    double sum = 0;
    for (int k = 1; k < 8; ++k) {
      Frame f = session.generate_next(p);
      if (reuse) {
        EXPECT_EQ(f.stats.camera_x, static_cast<int64_t>(std::floor(3.0 * k)));
      }
      sum += video::shared_region_error(
          previous.image, f.image, static_cast<int>(f.stats.camera_x - previous.stats.camera_x), 0);
      previous = f;
    }
    return sum / 7;
  };
  const double full = run(CrossFrameAttention::kFirst, true);
  const double independent = run(CrossFrameAttention::kNone, false);
  EXPECT_LT(full * 10, independent) << "full " << full << " independent " << independent;
}

TEST(VideoMetrics, Definitions) {
  Image a{8, 4, 3, std::vector<uint8_t>(8 * 4 * 3)};
  for (size_t i = 0; i < a.pixels.size(); ++i) a.pixels[i] = static_cast<uint8_t>(i * 7);
  // b shows a moved left by 2 pixels (camera moved right): zero error once undone.
  Image b = a;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x)
      for (int c = 0; c < 3; ++c) b.pixels[(y * 8 + x) * 3 + c] = a.pixels[(y * 8 + x + 2) * 3 + c];
  EXPECT_EQ(video::shared_region_error(a, b, 2, 0), 0.0);
  EXPECT_GT(video::shared_region_error(a, b, 0, 0), 0.0);
  TokenGrid g{2, 3, {1, 2, 3, 4, 5, 6}}, h{2, 3, {2, 3, 9, 5, 6, 9}};
  EXPECT_EQ(video::shared_token_change(g, h, 1, 0), 0.0);
  EXPECT_DOUBLE_EQ(video::shared_token_change(g, h, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(video::token_flicker(g, h, {true, false, false, false, false, false}), 1.0);
  EXPECT_DOUBLE_EQ(video::token_flicker(g, g, {true, true, true, true, true, true}), 0.0);
  // A seam: the right half brighter by 40 levels.
  Image s{8, 8, 1, std::vector<uint8_t>(64, 100)};
  for (int y = 0; y < 8; ++y)
    for (int x = 4; x < 8; ++x) s.pixels[y * 8 + x] = 140;
  auto e = video::seam_error(s, 4, {1}, {});
  EXPECT_DOUBLE_EQ(e.seam_step, 40.0);
  EXPECT_DOUBLE_EQ(e.other_step, 0.0);
}

TEST(VideoPan, SameSeedSameVideo) {
  auto p = pan_params(CameraMotion::kPanLeft, 3.0, 1);
  p.consistency.cross_frame_attention = CrossFrameAttention::kFirstAndPrevious;
  VideoSession a(tiny()), b(tiny());
  for (int k = 0; k < 6; ++k)
    EXPECT_EQ(a.generate_next(p).image.pixels, b.generate_next(p).image.pixels);
}

TEST(VideoStatic, NoMotionKeepsTheFrame) {
  VideoSession session(tiny());
  auto p = pan_params(CameraMotion::kNone, 0, 1);
  auto first = session.generate_next(p);
  for (int k = 1; k < 4; ++k) {
    auto f = session.generate_next(p);
    EXPECT_EQ(f.image.pixels, first.image.pixels);
    EXPECT_EQ(f.stats.steps_run, 0);
  }
}

TEST(VideoBaseline, IndependentFramesDiffer) {
  VideoSession session(tiny());
  auto p = pan_params(CameraMotion::kNone, 0, 1);
  p.consistency.cross_frame_attention = CrossFrameAttention::kNone;
  p.consistency.reuse_tokens = false;
  auto a = session.generate_next(p), b = session.generate_next(p);
  EXPECT_NE(a.tokens.ids, b.tokens.ids);  // seed + frame index
  EXPECT_TRUE(b.stats.keyframe);
}

TEST(VideoPromptChange, StartsANewAnchorAndRegenerates) {
  VideoSession session(tiny());
  auto p = pan_params(CameraMotion::kNone, 0, 1);
  auto a = session.generate_next(p);
  p.generate.prompt = "a blue ball on a beach";
  auto b = session.generate_next(p);
  EXPECT_TRUE(b.stats.keyframe);
  EXPECT_EQ(b.stats.tokens_regenerated, b.stats.tokens_total);
  EXPECT_NE(a.tokens.ids, b.tokens.ids);
}

Image noise_image(int w, int h, uint64_t seed) {
  auto gen = pipeline::make_generator(seed);
  auto t = torch::randint(0, 256, {h, w, 3}, gen, torch::kLong).to(torch::kUInt8);
  Image img{w, h, 3, {}};
  img.pixels.assign(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + t.numel());
  return img;
}

// A static source gives identical stylized frames after the first.
TEST(VideoStylize, StaticSourceGivesIdenticalFrames) {
  VideoSession session(tiny());
  StylizeParams p;
  p.generate.prompt = "an oil painting";
  p.strength = 0.6;
  auto src = noise_image(32, 32, 5);
  auto first = session.stylize_next(src, p);
  EXPECT_GT(first.stats.tokens_regenerated, 0);
  for (int k = 1; k < 4; ++k) {
    auto f = session.stylize_next(src, p);
    EXPECT_EQ(f.image.pixels, first.image.pixels) << "frame " << k;
    EXPECT_EQ(f.stats.tokens_regenerated, 0);
  }
}

// Restyles a noise frame, then the same frame with the pixels of `tokens` (row, column of
// the 8x8 token grid) inverted: the first and second frames, strength 1 and no band.
std::pair<Frame, Frame> restyle_with_changed_tokens(
    std::initializer_list<std::pair<int, int>> tokens) {
  VideoSession session(tiny());
  StylizeParams p;
  p.generate.prompt = "an oil painting";
  p.strength = 1.0;
  p.consistency.remask_boundary = 0;
  auto src = noise_image(32, 32, 5);
  auto first = session.stylize_next(src, p);
  auto changed = src;
  for (auto [row, col] : tokens)
    for (int y = row * 4; y < row * 4 + 4; ++y)
      for (int x = col * 4; x < col * 4 + 4; ++x)
        for (int c = 0; c < 3; ++c) changed.pixels[(y * 32 + x) * 3 + c] ^= 0x80;
  auto second = session.stylize_next(changed, p);
  return {std::move(first), std::move(second)};
}

TEST(VideoStylize, OnlyChangedRegionIsRegenerated) {
  const auto [first, second] = restyle_with_changed_tokens({{0, 0}});
  EXPECT_EQ(second.stats.tokens_regenerated, 1);
  auto a = grid(first.tokens), b = grid(second.tokens);
  a[0][0] = b[0][0];
  EXPECT_TRUE(testing::identical(b, a));
}

// Changes at opposite corners are sampled in two windows (video/window.h): exactly the two
// changed tokens are regenerated, every other token is kept, and pixels away from them are
// the previous frame's, bit for bit.
TEST(VideoStylize, FarApartChangesKeepEverythingElse) {
  const auto [first, second] = restyle_with_changed_tokens({{0, 0}, {7, 7}});
  EXPECT_EQ(second.stats.tokens_regenerated, 2);
  EXPECT_FALSE(second.stats.keyframe);
  auto a = grid(first.tokens), b = grid(second.tokens);
  a[0][0] = b[0][0];
  a[7][7] = b[7][7];
  EXPECT_TRUE(testing::identical(b, a));
  // Top-right and bottom-left quarters: more than the seam's token away from both changes.
  auto pixels = [](const Image &img) {
    return torch::from_blob(const_cast<uint8_t *>(img.pixels.data()), {32, 32, 3}, torch::kUInt8);
  };
  using torch::indexing::Slice;
  const auto before = pixels(first.image), after = pixels(second.image);
  EXPECT_TRUE(before.index({Slice(0, 16), Slice(16, 32)})
                  .equal(after.index({Slice(0, 16), Slice(16, 32)})));
  EXPECT_TRUE(before.index({Slice(16, 32), Slice(0, 16)})
                  .equal(after.index({Slice(16, 32), Slice(0, 16)})));
  EXPECT_FALSE(
      before.index({Slice(0, 4), Slice(0, 4)}).equal(after.index({Slice(0, 4), Slice(0, 4)})));
}

TEST(VideoStylize, SceneCutStartsANewAnchor) {
  VideoSession session(tiny());
  StylizeParams p;
  p.generate.prompt = "an oil painting";
  session.stylize_next(noise_image(32, 32, 5), p);
  auto cut = session.stylize_next(noise_image(32, 32, 6), p);
  EXPECT_TRUE(cut.stats.keyframe);
}

// Attending to the frame's own keys/values twice is plain self-attention: each score
// appears twice, so every softmax weight halves and the duplicated values sum back. What
// remains is rounding, so the logits must agree to float precision.
TEST(CrossFrameAttention, SelfAnchorEqualsPlainSelfAttention) {
  auto model = std::const_pointer_cast<Model>(tiny());
  torch::InferenceMode guard;
  testing::Golden g(testing::data_dir() / "amused-tiny");
  auto ids = g["transformer.input_ids"], ehs = g["transformer.encoder_hidden_states"];
  auto pooled = g["transformer.pooled_text_emb"], micro = g["transformer.micro_conds"];
  std::vector<nn::KeyValue> own;
  transformer::SelfAttentionHooks record;
  record.record = &own;
  auto plain = model->transformer()->forward(ids, ehs, pooled, micro, record);
  // Layer 0's keys do not depend on the extra keys; later layers do, so feed each layer its
  // own keys by recording layer by layer: run with extra = own, which is exact for layer 0
  // and, since the output of layer 0 is unchanged, for every following layer too.
  std::vector<std::vector<nn::KeyValue>> extra;
  for (auto &kv : own) extra.push_back({kv});
  transformer::SelfAttentionHooks hooks;
  hooks.extra = &extra;
  auto doubled = model->transformer()->forward(ids, ehs, pooled, micro, hooks);
  EXPECT_TRUE(testing::close_relative(doubled, plain, 1e-5));
  // And a different anchor does change the result (the hook is really used).
  std::vector<std::vector<nn::KeyValue>> other;
  for (auto &kv : own) other.push_back({{kv.key.flip(0), kv.value.flip(0)}});
  hooks.extra = &other;
  auto changed = model->transformer()->forward(ids, ehs, pooled, micro, hooks);
  EXPECT_FALSE(testing::close_relative(changed, plain, 1e-3));
}

// One model shared by two threads, each driving its own session with its own thread count:
// every frame is bit for bit what the same session gives when run alone.
TEST(SharedModel, TwoSessionsOnTwoThreadsEqualRunningThemInTurn) {
  auto model = tiny();
  auto run = [&](uint64_t seed, int threads) {
    VideoSession session(model);
    VideoParams p = pan_params(CameraMotion::kPanRight, 3.0, 1);
    p.generate.seed = seed;
    RunControl control;
    control.threads = threads;
    std::vector<std::vector<uint8_t>> frames;
    for (int k = 0; k < 6; ++k) frames.push_back(session.generate_next(p, control).image.pixels);
    return frames;
  };
  const auto alone_a = run(3, 1), alone_b = run(4, 2);
  std::vector<std::vector<uint8_t>> together_a, together_b;
  std::thread a([&] { together_a = run(3, 1); });
  std::thread b([&] { together_b = run(4, 2); });
  a.join();
  b.join();
  EXPECT_EQ(together_a, alone_a);
  EXPECT_EQ(together_b, alone_b);
  EXPECT_NE(alone_a, alone_b);
}

// A region decode (what a partial frame pays for) gives the full decode's pixels of the
// region, with the full decode's normalisation, wherever the region lies; decoding only the
// region's tokens does not (the decoder reaches across tokens).
TEST(PartialDecode, ARegionIsTheFullDecodeThere) {
  auto model = tiny();
  torch::InferenceMode guard;
  const int64_t scale = model->vae_scale_factor();
  auto gen = pipeline::make_generator(21);
  const auto tokens =
      torch::randint(0, model->vqvae()->config().num_vq_embeddings, {1, 8, 8}, gen, torch::kLong);
  nn::NormStats norms;
  norms.mode = nn::NormStats::Mode::kRecord;
  const auto full = pipeline::decode_tokens(*model, tokens, &norms);
  norms.mode = nn::NormStats::Mode::kApply;
  using torch::indexing::Slice;
  auto pixels_of = [&](const torch::Tensor &image, const GridRect &r) {
    return image.index(
        {"...", Slice(r.top * scale, r.bottom * scale), Slice(r.left * scale, r.right * scale)});
  };
  for (const GridRect r :
       {GridRect{0, 8, 6, 8}, GridRect{2, 5, 3, 6}, GridRect{0, 1, 0, 1}, GridRect{0, 8, 0, 8}}) {
    const auto region = pipeline::decode_token_region(*model, tokens, &norms, r);
    ASSERT_EQ(region.sizes(), pixels_of(full, r).sizes());
    EXPECT_LT((region - pixels_of(full, r)).abs().max().item<double>(), 1e-5)
        << r.top << ".." << r.bottom << " x " << r.left << ".." << r.right;
  }
  const GridRect inner{2, 5, 3, 6};
  const auto alone = pipeline::decode_tokens(
      *model, tokens.index({"...", Slice(2, 5), Slice(3, 6)}).contiguous(), &norms);
  EXPECT_GT((alone - pixels_of(full, inner)).abs().max().item<double>(), 1e-3);
  nn::NormStats recording;
  EXPECT_THROW(pipeline::decode_token_region(*model, tokens, &recording, inner), Error);
}

int threads_in_process() {
  return static_cast<int>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                        std::filesystem::directory_iterator()));
}

// The warm-up computes on a thread of its own: the caller (an element's application thread)
// keeps no OpenMP team from it, which would make libgomp put every team's threads to sleep
// between parallel regions and slow the streaming thread's frames.
TEST(WarmUp, LeavesNoComputeThreadsOnTheCaller) {
  auto model = tiny();
  VideoParams p = pan_params(CameraMotion::kPanRight, 3.0, 1);
  RunControl control;
  control.threads = 2;
  int before = 0, after = 0;
  FrameEstimate e;
  std::thread caller([&] {  // a thread that has never run a parallel region
    before = threads_in_process();
    e = warm_up(model, p, control);
    // The warm-up thread's team winds down after it is joined: wait for it (a bound, not
    // a timing: a team kept by the caller never goes).
    for (int i = 0; i < 100 && (after = threads_in_process()) != before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  });
  caller.join();
  EXPECT_EQ(after, before);
  EXPECT_GT(e.step_seconds, 0.0);
  EXPECT_GT(e.frame_seconds, e.step_seconds);
}

// A first step slowed by one-time costs (here a pause of 1 s in its step callback, charged to
// the step after it) stays out of the estimate, which a live source's LATENCY answer is made
// of: an average of the steps would include a third of it.
TEST(WarmUp, LeavesTheFirstStepsOneTimeCostsOut) {
  auto model = tiny();
  VideoParams p = pan_params(CameraMotion::kPanRight, 3.0, 1);
  RunControl control;
  int calls = 0;
  control.on_step = [&](int step, int) {
    ++calls;
    if (step == 1) std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  const FrameEstimate e = warm_up(model, p, control);
  EXPECT_EQ(calls, 3);
  EXPECT_GT(e.step_seconds, 0.0);
  EXPECT_LT(e.step_seconds, 0.3) << "the pause after the first step was counted";
  EXPECT_LT(e.frame_seconds, e.step_seconds * p.generate.steps + e.decode_seconds + 1e-9);
}

}  // namespace
}  // namespace amused
