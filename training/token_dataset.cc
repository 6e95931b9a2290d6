#include "training/token_dataset.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <chrono>

#include "amused.h"
#include "training/caption_phrasing.h"
#include "training/scene_data.h"
#include "training/scene_random.h"
#include "training/train_progress.h"
#include "training/weight_init.h"

namespace amused::train {

namespace fs = std::filesystem;

TokenDataset build_token_dataset(vq::VQModel &vq, const text::ClipTokenizer &tokenizer,
                                 uint64_t seed, int64_t count, int image_size, bool quiet,
                                 double free_captions) {
  torch::NoGradGuard no_grad;  // not InferenceMode: the weights' layout changes below
  vq->eval();
  set_conv_memory_format(*vq, torch::MemoryFormat::ChannelsLast);
  constexpr int kBatch = 32;
  const int64_t grid = image_size / vq->config().scale_factor();
  TokenDataset data;
  data.seed = seed;
  data.vq_fingerprint = vq_encoder_fingerprint(vq);
  data.free_captions = free_captions;
  data.tokens = torch::empty({count, grid, grid}, torch::kInt16);
  data.input_ids = torch::empty({count, tokenizer.max_length()}, torch::kInt32);
  TrainProgress progress("tokens", 30.0, quiet ? nullptr : stderr);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < count; first += kBatch) {
    const int n = static_cast<int>(std::min<int64_t>(kBatch, count - first));
    std::vector<scenes::SceneAttributes> attributes;
    auto images = scene_images(seed, DataStream::kTokenDataset, scenes::Split::kTrain, first, n,
                               image_size, &attributes);
    auto codes = vq->quantize->nearest_indices(
        vq->encode(images.contiguous(torch::MemoryFormat::ChannelsLast)));
    data.tokens.slice(0, first, first + n).copy_(codes.to(torch::kInt16));
    for (int i = 0; i < n; ++i) {
      const uint64_t caption_seed = scenes::splitmix64(seed * 1000003ull + uint64_t(first + i));
      auto ids = tokenizer.encode_padded(
          scenes::training_caption(attributes[i], caption_seed, free_captions));
      data.input_ids[first + i].copy_(torch::tensor(ids, torch::kLong).to(torch::kInt32));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.update(first + n, double(first + n) / count, elapsed, "");
  }
  set_conv_memory_format(*vq, torch::MemoryFormat::Contiguous);
  return data;
}

uint64_t vq_encoder_fingerprint(vq::VQModel &vq) {
  // FNV-1a over the raw fp32 bytes: exact, and independent of thread count or memory format.
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const void *bytes, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      hash ^= static_cast<const unsigned char *>(bytes)[i];
      hash *= 1099511628211ull;
    }
  };
  for (const auto &p : vq->named_parameters()) {
    const std::string &name = p.key();
    if (name.rfind("decoder.", 0) == 0 || name.rfind("post_quant_conv.", 0) == 0) continue;
    mix(name.data(), name.size());
    const auto w = p.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    mix(w.data_ptr(), static_cast<size_t>(w.numel()) * sizeof(float));
  }
  return hash;
}

void save_token_dataset(const TokenDataset &data, const fs::path &file) {
  torch::serialize::OutputArchive archive;
  archive.write("tokens", data.tokens);
  archive.write("input_ids", data.input_ids);
  archive.write("seed", torch::tensor(static_cast<int64_t>(data.seed), torch::kLong));
  archive.write("vq_fingerprint",
                torch::tensor(static_cast<int64_t>(data.vq_fingerprint), torch::kLong));
  archive.write("free_captions", torch::tensor(data.free_captions, torch::kDouble));
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  const fs::path tmp = file.string() + ".tmp";
  archive.save_to(tmp.string());
  fs::rename(tmp, file);
}

TokenDataset load_token_dataset(const fs::path &file) {
  if (!fs::exists(file)) throw Error(file.string() + ": no token dataset");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    TokenDataset data;
    torch::Tensor seed;
    archive.read("tokens", data.tokens);
    archive.read("input_ids", data.input_ids);
    archive.read("seed", seed);
    data.seed = static_cast<uint64_t>(seed.item<int64_t>());
    torch::Tensor fingerprint;
    if (archive.try_read("vq_fingerprint", fingerprint))
      data.vq_fingerprint = static_cast<uint64_t>(fingerprint.item<int64_t>());
    torch::Tensor free_captions;
    if (archive.try_read("free_captions", free_captions))
      data.free_captions = free_captions.item<double>();
    if (data.tokens.dim() != 3 || data.input_ids.dim() != 2 ||
        data.tokens.size(0) != data.input_ids.size(0))
      throw Error(file.string() + ": token dataset has inconsistent shapes");
    return data;
  } catch (const c10::Error &e) {
    throw Error(file.string() + ": cannot read token dataset: " + e.what_without_backtrace());
  }
}

}  // namespace amused::train
