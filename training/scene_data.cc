#include "training/scene_data.h"

#include <torch/torch.h>

#include "training/photo_library.h"
#include "training/scene_random.h"

namespace amused::train {

uint64_t scene_seed(uint64_t seed, DataStream stream, int64_t index) {
  return scenes::splitmix64(scenes::splitmix64(seed ^ scenes::splitmix64(uint64_t(stream))) ^
                            uint64_t(index));
}

torch::Tensor images_to_tensor(const std::vector<Image> &images) {
  if (images.empty()) throw Error("images_to_tensor: no images");
  const int w = images[0].width, h = images[0].height;
  auto out = torch::empty({int64_t(images.size()), h, w, 3}, torch::kUInt8);
  uint8_t *dst = out.data_ptr<uint8_t>();
  for (const Image &img : images) {
    if (img.width != w || img.height != h || img.channels != 3)
      throw Error("images_to_tensor: images differ in size or are not RGB");
    std::copy(img.pixels.begin(), img.pixels.end(), dst);
    dst += img.pixels.size();
  }
  return out.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f).contiguous();
}

bool is_photo_example(uint64_t scene_seed, const PhotoLibrary *photos, double photo_share) {
  return photos != nullptr && photo_share > 0 && scenes::hash01(scene_seed, 16, 0) < photo_share;
}

torch::Tensor vq_batch(uint64_t seed, int64_t step, int count, int size, int crop,
                       const PhotoLibrary *photos, double photo_share) {
  auto batch = torch::empty({count, 3, crop, crop});
  for (int i = 0; i < count; ++i) {
    const int64_t index = step * count + i;
    const uint64_t s = scene_seed(seed, DataStream::kVqTrain, index);
    if (is_photo_example(s, photos, photo_share)) {
      batch[i] = photos->crop(s, crop);
      continue;
    }
    const auto attributes = scenes::sample_attributes(s, scenes::Split::kTrain);
    const double pan =
        scenes::hash01(s, 1, 0) < 0.5 ? 0.0 : scenes::hash_range(s, 2, 0, 0, -1.5, 1.5) * size;
    auto image = images_to_tensor({scenes::render(attributes, s, size, size, pan)});
    const int y = int(scenes::hash01(s, 3, 0) * (size - crop + 1));
    const int x = int(scenes::hash01(s, 4, 0) * (size - crop + 1));
    batch[i] = image[0].slice(1, y, y + crop).slice(2, x, x + crop);
  }
  return batch;
}

torch::Tensor scene_images(uint64_t seed, DataStream stream, scenes::Split split, int64_t first,
                           int count, int size, std::vector<scenes::SceneAttributes> *attributes) {
  std::vector<Image> images;
  images.reserve(count);
  for (int i = 0; i < count; ++i) {
    const uint64_t s = scene_seed(seed, stream, first + i);
    const auto a = scenes::sample_attributes(s, split);
    if (attributes) attributes->push_back(a);
    images.push_back(scenes::render(a, s, size, size));
  }
  return images_to_tensor(images);
}

}  // namespace amused::train
