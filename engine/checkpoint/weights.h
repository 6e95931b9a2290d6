// Loads a component's weights into a module whose registered names equal the checkpoint's
// tensor keys, so loading is a walk over named_parameters() with no rename table.
#pragma once

#include <torch/nn/module.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace amused::checkpoint {

// The weight files of a component folder for a file stem such as "diffusion_pytorch_model"
// or "model": `<stem>.safetensors`, else the fp16 variant `<stem>.fp16.safetensors`, else
// the shards listed by `<stem>.safetensors.index.json` (or its fp16 variant).
std::vector<std::filesystem::path> find_weight_files(const std::filesystem::path &component_dir,
                                                     const std::string &stem);

// Copies every tensor into the module's parameters (converting fp16/bf16 to the
// parameter's dtype). Missing, unexpected and mis-shaped tensors are all collected and
// reported in one Error that names the file and each key.
void load_weights(torch::nn::Module &module, const std::filesystem::path &component_dir,
                  const std::string &stem);

class SafetensorsFile;

// The same, a part of the module at a time, so that each part can be converted before the
// next is read (the peak stays near the converted model's size): load() any number of
// parts, then finish(), which reports every problem of all parts in one Error.
class WeightLoader {
 public:
  WeightLoader(const std::filesystem::path &component_dir, const std::string &stem);
  ~WeightLoader();
  // Loads `part`'s parameters from the keys `prefix` + their names.
  void load(torch::nn::Module &part, const std::string &prefix = "");
  void finish();

 private:
  std::string where_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile *> owner_;
  std::map<std::string, bool> used_;
  std::vector<std::string> problems_;
};

// Saves the module's parameters as one safetensors file (used by training).
void save_weights(const torch::nn::Module &module, const std::filesystem::path &file);

}  // namespace amused::checkpoint
