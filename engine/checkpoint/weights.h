// Loads a component's weights into a module whose registered names equal the checkpoint's
// tensor keys, so loading is a walk over named_parameters() with no rename table.
#pragma once

#include <torch/nn/module.h>

#include <filesystem>
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

// Saves the module's parameters as one safetensors file (used by training).
void save_weights(const torch::nn::Module &module, const std::filesystem::path &file);

}  // namespace amused::checkpoint
