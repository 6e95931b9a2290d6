// Real pictures for the VQ (training/photo_library.h): which files count, the held-out split,
// crops that are the picture's own pixels, the share of a batch they take, and frames of the
// public sample clips for the evaluation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "amused.h"
#include "media/image_io.h"
#include "media/video_reader.h"
#include "training/eval_metrics.h"
#include "training/photo_library.h"
#include "training/scene_data.h"
#include "tests/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace amused;

const fs::path kData = AMUSED_TESTS_DATA_DIR;

// Each test's own folder of pictures.
class PhotoDir : public test::TempDir {
 public:
  PhotoDir() : TempDir("amused-photo-test") {}
};

void copy_to(const fs::path &from, const fs::path &to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// A frame of real footage (a public sample clip), as a picture file.
Image first_frame(const fs::path &clip) {
  media::VideoReader reader(clip);
  Image frame;
  EXPECT_TRUE(reader.read(frame));
  return frame;
}

// A file name in the given split.
std::string name_in(scenes::Split split, const std::string &ext) {
  for (int i = 0;; ++i) {
    const std::string name = "picture" + std::to_string(i) + ext;
    if (train::photo_split(name) == split) return name;
  }
}

TEST(Photos, FindsEachPictureOnceAndTheLargestOfASizedSet) {
  PhotoDir dir;
  const fs::path png = kData / "media" / "rgb8.png";
  copy_to(png, dir.path() / "mate" / "Dune.png");
  copy_to(png, dir.path() / "mate" / "Wood.JPG");  // the extension's case does not matter
  copy_to(png, dir.path() / "Autumn" / "contents" / "images" / "640x480.png");
  copy_to(png, dir.path() / "Autumn" / "contents" / "images" / "1920x1080.png");
  copy_to(png, dir.path() / "Autumn" / "contents" / "images" / "1280x1024.png");
  copy_to(png, dir.path() / "Autumn" / "contents" / "screenshot.png");
  std::ofstream(dir.path() / "mate" / "README.txt") << "not a picture";

  const auto found = train::find_pictures({dir.path(), dir.path() / "missing"});
  const std::vector<fs::path> want = {
      dir.path() / "Autumn" / "contents" / "images" / "1920x1080.png",
      dir.path() / "mate" / "Dune.png", dir.path() / "mate" / "Wood.JPG"};
  EXPECT_EQ(found, want);
}

TEST(Photos, AFifthIsHeldOutByFileNameWhereverItLies) {
  int held_out = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "wallpaper-" + std::to_string(i) + ".jpg";
    const auto split = train::photo_split(fs::path("/usr/share/backgrounds") / name);
    EXPECT_EQ(split, train::photo_split(fs::path("/elsewhere/deeper") / name)) << name;
    held_out += split == scenes::Split::kHeldout;
  }
  EXPECT_GT(held_out, 150);
  EXPECT_LT(held_out, 250);
  // KDE's wallpapers are split by the wallpaper's folder, not by the size in the file name.
  EXPECT_EQ(train::photo_split("/usr/share/wallpapers/Autumn/contents/images/1920x1080.jpg"),
            train::photo_split("/other/Autumn/contents/images/640x480.jpg"));
}

TEST(Photos, CropsAreThePicturesOwnPixels) {
  PhotoDir dir;
  const Image frame = first_frame(kData / "footage" / "birds.mp4");
  const fs::path file = dir.path() / name_in(scenes::Split::kTrain, ".png");
  media::write_png(file, frame);
  const auto library = train::PhotoLibrary::load({dir.path()}, scenes::Split::kTrain, 216);
  ASSERT_EQ(library.size(), 1u);
  const Image &stored = library.picture(0);
  EXPECT_EQ(stored.height, 216);  // 1280x720 with its shorter side brought to 216
  EXPECT_EQ(stored.width, 384);

  // At the stored scale a crop is a block of the picture, mirrored or not.
  constexpr int kEdge = 32;
  auto picture = train::images_to_tensor({stored})[0];
  int mirrored = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    auto crop = library.crop(seed, kEdge, 100000);
    ASSERT_EQ(crop.sizes(), (std::vector<int64_t>{3, kEdge, kEdge}));
    EXPECT_TRUE(torch::equal(crop, library.crop(seed, kEdge, 100000)));
    bool found = false;
    for (int y = 0; y + kEdge <= stored.height && !found; ++y)
      for (int x = 0; x + kEdge <= stored.width && !found; ++x) {
        auto block = picture.slice(1, y, y + kEdge).slice(2, x, x + kEdge);
        if (torch::equal(block, crop)) found = true;
        if (torch::equal(block.flip({2}), crop)) found = true, ++mirrored;
      }
    EXPECT_TRUE(found) << "seed " << seed;
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, 8);

  // Smaller scales average the picture down: still within its range, and a smoother image.
  auto small = library.crop(3, kEdge, 40);
  EXPECT_GE(small.min().item<float>(), 0.0f);
  EXPECT_LE(small.max().item<float>(), 1.0f);
}

TEST(Photos, NoPicturesIsAnErrorNamingTheFoldersAndTheSetUp) {
  PhotoDir dir;
  try {
    train::PhotoLibrary::load({dir.path()}, scenes::Split::kTrain);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dir.path().string()), std::string::npos) << what;
    EXPECT_NE(what.find("training/setup.sh"), std::string::npos) << what;
  }
  std::ofstream(dir.path() / name_in(scenes::Split::kTrain, ".png")) << "not a png";
  try {
    train::PhotoLibrary::load({dir.path()}, scenes::Split::kTrain);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(".png"), std::string::npos) << e.what();
  }
}

TEST(Photos, TakeTheirShareOfTheVqBatch) {
  PhotoDir dir;
  media::write_png(dir.path() / name_in(scenes::Split::kTrain, ".png"),
                   first_frame(kData / "footage" / "g1.avi"));
  const auto library = train::PhotoLibrary::load({dir.path()}, scenes::Split::kTrain);
  constexpr int kCount = 64, kCrop = 32;
  auto batch = train::vq_batch(7, 3, kCount, 64, kCrop, &library, 0.5);
  auto scenes_only = train::vq_batch(7, 3, kCount, 64, kCrop);
  int photos = 0;
  for (int i = 0; i < kCount; ++i) {
    const uint64_t s = train::scene_seed(7, train::DataStream::kVqTrain, 3 * kCount + i);
    if (train::is_photo_example(s, &library, 0.5)) {
      ++photos;
      EXPECT_TRUE(torch::equal(batch[i], library.crop(s, kCrop))) << i;
    } else {
      EXPECT_TRUE(torch::equal(batch[i], scenes_only[i])) << i;
    }
  }
  EXPECT_GT(photos, 16);
  EXPECT_LT(photos, 48);
}

TEST(Photos, SampleClipFramesForTheEvaluation) {
  const auto frames = train::clip_frames(train::sample_clips(kData / "footage"), 8);
  ASSERT_EQ(frames.size(), 40u);    // five clips of at least 8 frames
  EXPECT_EQ(frames[0].width, 400);  // Effet_force_magnetique.ogv, 400x304
  EXPECT_EQ(frames[0].height, 304);
  EXPECT_EQ(frames.back().width, 400);  // g1.avi, 400x300
  EXPECT_EQ(frames.back().height, 300);
  EXPECT_THROW(train::clip_frames({kData / "footage" / "README.md"}, 8), Error);
}

}  // namespace
