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

void load_weights(torch::nn::Module &module, const fs::path &dir, const std::string &stem) {
  const auto files = find_weight_files(dir, stem);
  std::vector<std::unique_ptr<SafetensorsFile>> opened;
  std::map<std::string, const SafetensorsFile *> owner;
  for (const auto &f : files) {
    opened.push_back(std::make_unique<SafetensorsFile>(f));
    for (const auto &[key, entry] : opened.back()->entries()) owner[key] = opened.back().get();
  }
  const std::string where = files.size() == 1 ? files[0].string() : dir.string() + "/" + stem;

  std::vector<std::string> problems;
  std::map<std::string, bool> used;
  torch::NoGradGuard no_grad;
  auto load_one = [&](const std::string &key, torch::Tensor &target) {
    auto it = owner.find(key);
    if (it == owner.end()) {
      problems.push_back("missing tensor '" + key + "' (model expects " +
                         shape_text(target.sizes()) + ")");
      return;
    }
    used[key] = true;
    const TensorEntry &entry = it->second->entries().at(key);
    if (c10::IntArrayRef(entry.shape) != target.sizes()) {
      problems.push_back("tensor '" + key + "' has shape " + shape_text(entry.shape) +
                         ", model expects " + shape_text(target.sizes()));
      return;
    }
    if (!c10::isFloatingType(entry.dtype) && c10::isFloatingType(target.scalar_type())) {
      problems.push_back("tensor '" + key + "' has dtype " + entry.dtype_name +
                         ", expected a floating-point type");
      return;
    }
    target.copy_(it->second->view(key));
  };
  for (auto &item : module.named_parameters(/*recurse=*/true)) load_one(item.key(), item.value());
  for (auto &item : module.named_buffers(/*recurse=*/true)) load_one(item.key(), item.value());
  for (const auto &[key, file] : owner)
    if (!used.count(key) && !ignorable(key))
      problems.push_back("unexpected tensor '" + key + "' (no such parameter in this model)");

  if (!problems.empty()) {
    std::string message = where + ": " + std::to_string(problems.size()) +
                          " problem(s) loading weights (does config.json match the weights?):";
    const size_t shown = std::min<size_t>(problems.size(), 12);
    for (size_t i = 0; i < shown; ++i) message += "\n  " + problems[i];
    if (shown < problems.size())
      message += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
    throw Error(message);
  }
}

void save_weights(const torch::nn::Module &module, const fs::path &file) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto &item : module.named_parameters(true)) tensors[item.key()] = item.value();
  for (const auto &item : module.named_buffers(true)) tensors[item.key()] = item.value();
  write_safetensors(file, tensors, {{"format", "pt"}});
}

}  // namespace amused::checkpoint
