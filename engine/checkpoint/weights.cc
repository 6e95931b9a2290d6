#include "checkpoint/weights.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <sstream>

#include "amused.h"
#include "checkpoint/json_config.h"
#include "checkpoint/safetensors.h"

namespace amused::checkpoint {

namespace {

namespace fs = std::filesystem;

std::string shape_text(c10::IntArrayRef shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

// Keys that exporters write but no module owns: transformers' position_ids buffer was
// persistent in older releases and is recomputed from the config here.
bool ignorable(const std::string &key) {
  const std::string suffix = "position_ids";
  return key.size() >= suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> shards_from_index(const fs::path &index_file) {
  auto index = JsonConfig::load(index_file);
  if (!index.json().contains("weight_map") || !index.json()["weight_map"].is_object())
    throw Error(index.describe("weight_map", "missing or not an object"));
  std::vector<fs::path> files;
  for (const auto &[key, value] : index.json()["weight_map"].items()) {
    if (!value.is_string()) throw Error(index.describe("weight_map." + key, "not a file name"));
    fs::path shard = index_file.parent_path() / value.get<std::string>();
    if (std::find(files.begin(), files.end(), shard) == files.end()) files.push_back(shard);
  }
  return files;
}

}  // namespace

std::vector<fs::path> find_weight_files(const fs::path &dir, const std::string &stem) {
  for (const char *variant : {"", ".fp16"}) {
    fs::path single = dir / (stem + variant + ".safetensors");
    if (fs::exists(single)) return {single};
    fs::path index = dir / (stem + variant + ".safetensors.index.json");
    if (fs::exists(index)) return shards_from_index(index);
  }
  if (fs::exists(dir / (stem + ".bin")))
    throw Error((dir / (stem + ".bin")).string() +
                ": PyTorch pickle weights are not supported; download the .safetensors files");
  throw Error(dir.string() + ": no weights found (expected " + stem + ".safetensors or " + stem +
              ".fp16.safetensors)");
}

WeightLoader::WeightLoader(const fs::path &dir, const std::string &stem) {
  const auto files = find_weight_files(dir, stem);
  for (const auto &f : files) {
    files_.push_back(std::make_unique<SafetensorsFile>(f));
    for (const auto &[key, entry] : files_.back()->entries()) owner_[key] = files_.back().get();
  }
  where_ = files.size() == 1 ? files[0].string() : dir.string() + "/" + stem;
}

WeightLoader::~WeightLoader() = default;

void WeightLoader::load(torch::nn::Module &part, const std::string &prefix) {
  torch::NoGradGuard no_grad;
  auto load_one = [&](const std::string &name, torch::Tensor &target) {
    const std::string key = prefix + name;
    auto it = owner_.find(key);
    if (it == owner_.end()) {
      problems_.push_back("missing tensor '" + key + "' (model expects " +
                          shape_text(target.sizes()) + ")");
      return;
    }
    used_[key] = true;
    const TensorEntry &entry = it->second->entries().at(key);
    if (c10::IntArrayRef(entry.shape) != target.sizes()) {
      problems_.push_back("tensor '" + key + "' has shape " + shape_text(entry.shape) +
                          ", model expects " + shape_text(target.sizes()));
      return;
    }
    if (!c10::isFloatingType(entry.dtype) && c10::isFloatingType(target.scalar_type())) {
      problems_.push_back("tensor '" + key + "' has dtype " + entry.dtype_name +
                          ", expected a floating-point type");
      return;
    }
    target.copy_(it->second->view(key));
    it->second->forget(key);
  };
  for (auto &item : part.named_parameters(/*recurse=*/true)) load_one(item.key(), item.value());
  for (auto &item : part.named_buffers(/*recurse=*/true)) load_one(item.key(), item.value());
}

void WeightLoader::finish() {
  for (const auto &[key, file] : owner_)
    if (!used_.count(key) && !ignorable(key))
      problems_.push_back("unexpected tensor '" + key + "' (no such parameter in this model)");
  if (problems_.empty()) return;
  std::string message = where_ + ": " + std::to_string(problems_.size()) +
                        " problem(s) loading weights (does config.json match the weights?):";
  const size_t shown = std::min<size_t>(problems_.size(), 12);
  for (size_t i = 0; i < shown; ++i) message += "\n  " + problems_[i];
  if (shown < problems_.size())
    message += "\n  ... and " + std::to_string(problems_.size() - shown) + " more";
  throw Error(message);
}

void load_weights(torch::nn::Module &module, const fs::path &dir, const std::string &stem) {
  WeightLoader loader(dir, stem);
  loader.load(module);
  loader.finish();
}

void save_weights(const torch::nn::Module &module, const fs::path &file) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto &item : module.named_parameters(true)) tensors[item.key()] = item.value();
  for (const auto &item : module.named_buffers(true)) tensors[item.key()] = item.value();
  write_safetensors(file, tensors, {{"format", "pt"}});
}

}  // namespace amused::checkpoint
