#include "training/photo_library.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "media/video_reader.h"
#include "training/scene_data.h"
#include "training/scene_random.h"

namespace amused::train {

namespace fs = std::filesystem;

namespace {

bool is_picture(const fs::path &p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

// Pixels of a file named "WIDTHxHEIGHT.ext", or 0.
int64_t size_in_name(const fs::path &p) {
  static const std::regex pattern(R"((\d+)x(\d+))");
  std::smatch m;
  const std::string stem = p.stem().string();
  if (!std::regex_match(stem, m, pattern)) return 0;
  return std::stoll(m[1]) * std::stoll(m[2]);
}

uint64_t name_hash(const std::string &name) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (unsigned char c : name) h = scenes::splitmix64(h ^ c);
  return h;
}

// Rows y0..y0+h-1 and columns x0..x0+w-1 of an RGB image.
Image sub_image(const Image &image, int x0, int y0, int w, int h) {
  Image out{w, h, 3, std::vector<uint8_t>(size_t(w) * h * 3)};
  for (int y = 0; y < h; ++y) {
    const uint8_t *src = image.pixels.data() + (size_t(y0 + y) * image.width + x0) * 3;
    std::copy(src, src + size_t(w) * 3, out.pixels.data() + size_t(y) * w * 3);
  }
  return out;
}

}  // namespace

std::vector<fs::path> default_photo_folders() {
  return {"/usr/share/backgrounds", "/usr/share/wallpapers"};
}

std::vector<fs::path> find_pictures(const std::vector<fs::path> &folders) {
  // Per folder: the plain pictures, and the largest of those named by their size.
  std::map<fs::path, std::vector<fs::path>> plain;
  std::map<fs::path, std::pair<int64_t, fs::path>> largest_sized;
  for (const auto &folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(
             folder, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec) || !is_picture(it->path())) continue;
      const fs::path &p = it->path();
      if (p.filename().string().rfind("screenshot", 0) == 0) continue;  // a thumbnail
      const int64_t pixels = size_in_name(p);
      if (pixels == 0) {
        plain[p.parent_path()].push_back(p);
      } else {
        auto &best = largest_sized[p.parent_path()];
        if (pixels > best.first) best = {pixels, p};
      }
    }
  }
  std::vector<fs::path> out;
  for (auto &[folder, files] : plain) out.insert(out.end(), files.begin(), files.end());
  for (auto &[folder, best] : largest_sized) out.push_back(best.second);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

scenes::Split photo_split(const fs::path &picture) {
  // KDE's pictures are named by their size; their wallpaper's name is the folder two up.
  fs::path named = picture;
  if (size_in_name(picture) != 0 && picture.has_parent_path())
    named = picture.parent_path().parent_path().parent_path();
  return name_hash(named.filename().string()) % 5 == 0 ? scenes::Split::kHeldout
                                                       : scenes::Split::kTrain;
}

Image read_picture(const fs::path &path) {
  media::VideoReader reader(path);
  Image picture;
  if (!reader.read(picture)) throw Error(path.string() + ": holds no picture");
  return picture;
}

PhotoLibrary PhotoLibrary::load(const std::vector<fs::path> &folders, scenes::Split split,
                                int max_short_side) {
  PhotoLibrary library;
  for (const auto &p : find_pictures(folders)) {
    if (photo_split(p) != split) continue;
    Image picture = read_picture(p);
    const int short_side = std::min(picture.width, picture.height);
    if (short_side > max_short_side) {
      const double f = double(max_short_side) / short_side;
      picture = resize_image(picture, std::max(1, int(std::lround(picture.width * f))),
                             std::max(1, int(std::lround(picture.height * f))));
    }
    library.paths_.push_back(p);
    library.pictures_.push_back(std::move(picture));
  }
  if (library.pictures_.empty()) {
    std::string names;
    for (const auto &f : folders) names += (names.empty() ? "" : ", ") + f.string();
    throw Error("no pictures of the " +
                std::string(split == scenes::Split::kTrain ? "training" : "held-out") +
                " split under " + names +
                ": run training/setup.sh to install the wallpaper packages, or train with "
                "--photo-share 0 --decoder-photo-share 0");
  }
  return library;
}

torch::Tensor PhotoLibrary::crop(uint64_t seed, int edge, int min_short_side) const {
  const Image &picture =
      pictures_[std::min(size() - 1, size_t(scenes::hash01(seed, 11, 0) * double(size())))];
  const int short_side = std::min(picture.width, picture.height);
  // The whole picture's shorter side at the chosen scale, and the region that becomes the crop.
  const double hi = short_side, lo = std::min<double>(hi, std::max(edge, min_short_side));
  const double scaled = std::exp(scenes::hash_range(seed, 12, 0, 0, std::log(lo), std::log(hi)));
  const int region = std::clamp(int(std::lround(edge * short_side / scaled)), 1, short_side);
  const int x = int(scenes::hash01(seed, 13, 0) * (picture.width - region + 1));
  const int y = int(scenes::hash01(seed, 14, 0) * (picture.height - region + 1));
  auto out =
      images_to_tensor({resize_image(sub_image(picture, x, y, region, region), edge, edge)})[0];
  return scenes::hash01(seed, 15, 0) < 0.5 ? out : out.flip({2});
}

}  // namespace amused::train
