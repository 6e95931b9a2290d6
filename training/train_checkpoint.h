// Training checkpoints: the weights of the trained modules, the optimizer state, extra
// tensors (e.g. the VQ codebook statistics) and the position in the run, in one file that is
// replaced atomically, so an interrupted run resumes from its last checkpoint.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace amused::train {

struct RunPosition {
  int64_t step = 0;              // optimizer steps done
  double elapsed_seconds = 0.0;  // training time spent so far (over all resumed runs)
};

struct CheckpointContents {
  std::vector<std::pair<std::string, torch::nn::Module *>> modules;  // saved by name
  torch::optim::Optimizer *optimizer = nullptr;
  std::map<std::string, torch::Tensor *> tensors;  // extra state, saved by name
};

// Writes `file` (through a temporary file and rename). Throws amused::Error on failure.
void save_checkpoint(const std::filesystem::path &file, const CheckpointContents &contents,
                     const RunPosition &position);

// Restores everything named in `contents` from `file` (shapes must match) and returns the
// run position. Throws amused::Error naming the file and the missing or mis-shaped entry.
RunPosition load_checkpoint(const std::filesystem::path &file, const CheckpointContents &contents);

// Copies the parameters of `source` into `target` (same architecture), without autograd.
void copy_parameters(const torch::nn::Module &source, torch::nn::Module &target);

}  // namespace amused::train
