// Real pictures for the VQ: the photographs and artwork of Debian's wallpaper packages
// (training/setup.sh installs them), so that the embedded model's VQ has seen more than
// procedural scenes and `amused stylize` keeps real footage's content.
//
//   auto photos = PhotoLibrary::load(default_photo_folders(), scenes::Split::kTrain);
//   torch::Tensor x = photos.crop(seed, 64);   // [3,64,64] in [0,1]
//
// A fifth of the pictures, chosen by a hash of their file name, is held out of training:
// the evaluation reconstructs those (and frames of the sample clips in tests/data/footage).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "amused.h"
#include "training/scenes.h"

namespace amused::train {

// Where training/setup.sh's packages put their pictures.
std::vector<std::filesystem::path> default_photo_folders();

// The pictures under `folders`, recursively (.jpg, .jpeg, .png, .webp). A folder whose files
// are one picture at several sizes (named WIDTHxHEIGHT, as KDE's wallpapers are) gives only
// its largest. Sorted by path.
std::vector<std::filesystem::path> find_pictures(const std::vector<std::filesystem::path> &folders);

// Whether a picture belongs to the held-out fifth: a hash of its file name (not its folder),
// so the split does not depend on where a package installed it.
scenes::Split photo_split(const std::filesystem::path &picture);

class PhotoLibrary {
 public:
  // Decodes the pictures of `split` under `folders` and keeps each with its shorter side at
  // most `max_short_side` pixels (area-averaged). Throws amused::Error naming the folders and
  // training/setup.sh when there is none, or naming the file that does not decode.
  static PhotoLibrary load(const std::vector<std::filesystem::path> &folders, scenes::Split split,
                           int max_short_side = 384);

  size_t size() const { return pictures_.size(); }
  const std::filesystem::path &path(size_t i) const { return paths_.at(i); }
  const Image &picture(size_t i) const { return pictures_.at(i); }

  // A `edge` x `edge` crop, [3,edge,edge] float in [0,1], as a pure function of `seed`: a
  // picture, a scale at which the whole picture's shorter side measures between
  // `min_short_side` and the stored size (log-uniform; a 16:9 frame at the default model's
  // pixel count is 96 high), a place, and a mirror half the time.
  torch::Tensor crop(uint64_t seed, int edge, int min_short_side = 96) const;

 private:
  std::vector<std::filesystem::path> paths_;
  std::vector<Image> pictures_;
};

// Decodes one picture (any format FFmpeg reads) as RGB8. Throws amused::Error naming it.
Image read_picture(const std::filesystem::path &path);

}  // namespace amused::train
