// The named parts of the video method, without a model: the camera's arithmetic and the
// re-mask plan.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "video/camera.h"
#include "video/remask_plan.h"
#include "video/window.h"

namespace amused::video {
namespace {

TEST(Camera, PanMovesOneTokenPerTokenOfTravelAndKeepsTheRest) {
  Camera camera;
  camera.restart(CameraMotion::kPanRight);
  int moves = 0;
  for (int frame = 1; frame <= 10; ++frame) {
    const CameraAdvance a = camera.advance(3.0, 8);  // 3 px per frame, 8 px tokens
    for (const TokenMove &m : a.moves) {
      EXPECT_EQ(m.dx, -1);  // panning right moves the content left
      EXPECT_EQ(m.dy, 0);
      ++moves;
    }
    EXPECT_FALSE(a.zoom_step);
    // The camera position is the travel so far, to the pixel below it.
    EXPECT_EQ(camera.x(8), 3 * frame) << frame;
    EXPECT_EQ(camera.y(8), 0);
  }
  EXPECT_EQ(moves, 3);  // 30 px = 3 whole tokens
}

TEST(Camera, EveryPanDirection) {
  struct Case {
    CameraMotion motion;
    int dx, dy, sign_x, sign_y;
  };
  for (const Case c :
       {Case{CameraMotion::kPanLeft, 1, 0, -1, 0}, Case{CameraMotion::kPanUp, 0, 1, 0, -1},
        Case{CameraMotion::kPanDown, 0, -1, 0, 1}}) {
    Camera camera;
    camera.restart(c.motion);
    const CameraAdvance a = camera.advance(16.0, 16);
    ASSERT_EQ(a.moves.size(), 1u) << to_string(c.motion);
    EXPECT_EQ(a.moves[0].dx, c.dx);
    EXPECT_EQ(a.moves[0].dy, c.dy);
    EXPECT_EQ(camera.x(16), 16 * c.sign_x);
    EXPECT_EQ(camera.y(16), 16 * c.sign_y);
  }
}

TEST(Camera, ViewFollowsTheSubTokenOffset) {
  Camera camera;
  camera.restart(CameraMotion::kPanRight);
  camera.advance(5.0, 8);
  const ViewRect v = camera.view(8, 64, 32);
  EXPECT_EQ(v.left, 13);
  EXPECT_EQ(v.top, 8);
  EXPECT_EQ(v.width, 64);
  EXPECT_EQ(v.height, 32);
  EXPECT_FALSE(v.resample);
}

TEST(Camera, ZoomStepsOncePerTokenAndResamplesBetween) {
  Camera camera;
  camera.restart(CameraMotion::kZoomIn);
  EXPECT_FALSE(camera.advance(4.0, 8).zoom_step);
  const ViewRect v = camera.view(8, 64, 32);
  EXPECT_TRUE(v.resample);
  EXPECT_EQ(v.left, 12);
  EXPECT_EQ(v.top, 10);  // the vertical zoom keeps the aspect ratio
  EXPECT_EQ(v.width, 56);
  EXPECT_EQ(v.height, 28);
  EXPECT_TRUE(camera.advance(4.0, 8).zoom_step);
}

TEST(Camera, ChangingMotionRestartsTheSubTokenProgressOnly) {
  Camera camera;
  camera.restart(CameraMotion::kPanRight);
  camera.advance(12.0, 8);  // one token and 4 px
  camera.follow(CameraMotion::kPanDown);
  EXPECT_EQ(camera.x(8), 8);  // the whole token stays
  EXPECT_EQ(camera.y(8), 0);
  EXPECT_TRUE(camera.advance(7.0, 8).moves.empty());  // 4 px were dropped
}

TEST(PartialSteps, ScaleWithTheMaskedFractionWithinBounds) {
  EXPECT_EQ(partial_steps(12, 1.0, 3), 12);
  EXPECT_EQ(partial_steps(12, 0.5, 3), 6);
  EXPECT_EQ(partial_steps(12, 0.01, 3), 3);
  EXPECT_EQ(partial_steps(2, 0.01, 3), 2);  // never more than the full count
  EXPECT_EQ(partial_steps(12, 0.26, 0), 4);
}

torch::Tensor cells(int64_t rows, int64_t cols, std::initializer_list<std::pair<int, int>> on) {
  auto t = torch::zeros({1, rows, cols}, torch::kBool);
  for (auto [r, c] : on) t[0][r][c] = true;
  return t;
}

TEST(RemaskPlan, GeneratedFrameMasksTheRevealedColumnAndItsBand) {
  auto revealed = torch::zeros({1, 6, 8}, torch::kBool);
  revealed.index_put_({0, torch::indexing::Slice(), 7}, true);  // the entering column
  for (int boundary : {0, 1, 2}) {
    const RemaskPlan plan = plan_generated_frame(revealed, 3, {}, 7, boundary, 12, 3);
    EXPECT_FALSE(plan.keyframe);
    EXPECT_EQ(plan.count, 6 * (boundary + 1)) << boundary;
    for (int64_t c = 0; c < 8; ++c)
      EXPECT_EQ(plan.mask[0][2][c].item<bool>(), c >= 7 - boundary) << boundary << " col " << c;
    EXPECT_EQ(plan.steps, partial_steps(12, plan.count / 48.0, 3));
  }
}

TEST(RemaskPlan, NothingRevealedNothingMasked) {
  const RemaskPlan plan =
      plan_generated_frame(torch::zeros({1, 4, 4}, torch::kBool), 1, {}, 0, 1, 12, 3);
  EXPECT_EQ(plan.count, 0);
  EXPECT_EQ(plan.steps, 0);
}

TEST(RemaskPlan, KeyframeRuleRefreshesAFractionOnItsFrames) {
  const KeyframeRule rule{4, 0.25};
  auto none = torch::zeros({1, 32, 32}, torch::kBool);
  EXPECT_EQ(plan_generated_frame(none, 5, rule, 1, 0, 12, 3).count, 0);
  const RemaskPlan plan = plan_generated_frame(none, 8, rule, 1, 0, 12, 3);
  EXPECT_TRUE(plan.keyframe);
  EXPECT_NEAR(plan.count / 1024.0, 0.25, 0.05);
  // The same seed and frame draw the same cells; another frame others.
  EXPECT_TRUE(plan.mask.equal(plan_generated_frame(none, 8, rule, 1, 0, 12, 3).mask));
  EXPECT_FALSE(plan.mask.equal(plan_generated_frame(none, 12, rule, 1, 0, 12, 3).mask));
}

TEST(RemaskPlan, RestyledFrameStaysInsideTheChangedBandAndTheAllowedRegion) {
  auto changed = cells(8, 8, {{4, 4}});
  auto allowed = torch::ones({1, 8, 8}, torch::kBool);
  allowed.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(0, 4)}, false);
  const RemaskPlan plan = plan_restyled_frame(changed, allowed, 1.0, 3, 2, 1, 12);
  EXPECT_FALSE(plan.keyframe);
  // The 3x3 band around (4,4) without its left column (not allowed): 6 cells.
  EXPECT_EQ(plan.region.sum().item<int64_t>(), 6);
  EXPECT_TRUE(plan.mask.equal(plan.region));  // strength 1: all of them
  EXPECT_EQ(plan.steps, 3);
}

TEST(RemaskPlan, RestyledKeyframeDrawsTheStrengthFraction) {
  auto allowed = torch::ones({1, 32, 32}, torch::kBool);
  const RemaskPlan plan = plan_restyled_frame(torch::Tensor(), allowed, 0.5, 0, 0, 1, 12);
  EXPECT_TRUE(plan.keyframe);
  EXPECT_NEAR(plan.count / 1024.0, 0.5, 0.05);
  EXPECT_EQ(plan.steps, 6);
  EXPECT_EQ(plan_restyled_frame(torch::Tensor(), allowed, 0.0, 0, 0, 1, 12).count, 0);
}

TEST(Window, BandAndItsContextAlignedForHalvingModels) {
  auto band = torch::zeros({1, 18, 18}, torch::kBool);
  band.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(16, 18)}, true);
  const TokenWindow plain = window_around(band, 2);
  EXPECT_EQ(plain.top, 0);
  EXPECT_EQ(plain.bottom, 18);
  EXPECT_EQ(plain.left, 14);
  EXPECT_EQ(plain.right, 18);
  auto spot = cells(18, 18, {{7, 9}});
  const TokenWindow aligned = window_around(spot, 2, 2);
  EXPECT_EQ(aligned.top % 2, 0);
  EXPECT_EQ(aligned.left % 2, 0);
  EXPECT_EQ(aligned.rows() % 2, 0);
  EXPECT_EQ(aligned.cols() % 2, 0);
  EXPECT_LE(aligned.top, 5);
  EXPECT_GE(aligned.bottom, 10);
  EXPECT_LE(aligned.left, 7);
  EXPECT_GE(aligned.right, 12);
  EXPECT_TRUE(window_around(torch::zeros({1, 4, 4}, torch::kBool), 2).empty());
}

// Every masked cell lies in exactly one window with `margin` tokens of context on each
// side (where the grid has them), windows are aligned and never overlap.
void expect_windows_cover(const torch::Tensor &mask, const std::vector<TokenWindow> &windows,
                          int64_t margin, int64_t align) {
  const int64_t h = mask.size(1), w = mask.size(2);
  for (const auto &win : windows) {
    EXPECT_EQ(win.top % align, 0);
    EXPECT_EQ(win.left % align, 0);
    for (const auto &other : windows)
      if (&other != &win)
        EXPECT_FALSE(win.top < other.bottom && other.top < win.bottom && win.left < other.right &&
                     other.left < win.right);
  }
  auto cellsm = mask.nonzero();
  for (int64_t i = 0; i < cellsm.size(0); ++i) {
    const int64_t y = cellsm[i][1].item<int64_t>(), x = cellsm[i][2].item<int64_t>();
    int inside = 0;
    for (const auto &win : windows)
      if (win.top <= std::max<int64_t>(0, y - margin) &&
          std::min(h, y + margin + 1) <= win.bottom &&
          win.left <= std::max<int64_t>(0, x - margin) && std::min(w, x + margin + 1) <= win.right)
        ++inside;
    EXPECT_EQ(inside, 1) << "cell " << y << "," << x;
  }
}

TEST(Windows, ChangesFarApartGetAWindowEach) {
  auto mask = cells(28, 36, {{2, 3}, {3, 3}, {24, 30}});
  const auto windows = windows_around(mask, 2, 2);
  ASSERT_EQ(windows.size(), 2u);
  expect_windows_cover(mask, windows, 2, 2);
  int64_t covered = 0;
  for (const auto &win : windows) covered += win.cells();
  EXPECT_LE(covered, 2 * 8 * 8);  // two small windows, not one across the frame
}

TEST(Windows, ChangesCloseTogetherShareOne) {
  auto mask = cells(28, 36, {{10, 10}, {10, 14}});  // their contexts overlap
  const auto windows = windows_around(mask, 2, 1);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].cells(), 5 * 9);
  expect_windows_cover(mask, windows, 2, 1);
}

TEST(Windows, RandomMasksAreCoveredWithoutOverlap) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  for (int k = 0; k < 20; ++k) {
    auto mask = torch::rand({1, 28, 36}, gen) < 0.01 * (1 + k % 4);
    const auto windows = windows_around(mask, 2, 2);
    if (!windows.empty()) expect_windows_cover(mask, windows, 2, 2);
  }
}

TEST(Windows, NoneWhenTheyWouldCoverMostOfTheGrid) {
  EXPECT_TRUE(windows_around(torch::zeros({1, 18, 18}, torch::kBool), 2).empty());
  EXPECT_TRUE(windows_around(torch::ones({1, 18, 18}, torch::kBool), 2).empty());
  auto band = torch::zeros({1, 18, 18}, torch::kBool);
  band.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(16, 18)}, true);
  ASSERT_EQ(windows_around(band, 2).size(), 1u);  // 4 of 18 columns
  band.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(4, 18)}, true);
  EXPECT_TRUE(windows_around(band, 2).empty());  // 16 of 18 columns
}

TEST(Window, CropAndPasteRoundTripOnTokensAndPixels) {
  auto grid = torch::arange(36).view({1, 6, 6});
  const TokenWindow win{1, 4, 2, 5};
  auto part = crop(grid, win);
  EXPECT_EQ(part.sizes(), (std::vector<int64_t>{1, 3, 3}));
  EXPECT_EQ(part[0][0][0].item<int64_t>(), 8);
  auto zeroed = paste(grid.clone(), torch::zeros_like(part), win);
  EXPECT_EQ(zeroed.sum().item<int64_t>(), grid.sum().item<int64_t>() - part.sum().item<int64_t>());
  auto pixels = torch::rand({1, 3, 24, 24});
  EXPECT_TRUE(paste(torch::zeros_like(pixels), crop(pixels, win, 4), win, 4)
                  .index({"...", torch::indexing::Slice(4, 16), torch::indexing::Slice(8, 20)})
                  .equal(crop(pixels, win, 4)));
}

}  // namespace
}  // namespace amused::video
