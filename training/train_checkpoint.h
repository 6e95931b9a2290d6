// Training checkpoints: the weights of the trained modules, the optimizer state, extra
// tensors (e.g. the VQ codebook statistics) and the position in the run, in one file that is
// replaced atomically, so an interrupted run resumes from its last checkpoint.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <chrono>
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

// A run that resumes from its checkpoint file and saves to it: the step, the training time
// over every resumed run, and when the checkpoint was last written.
class CheckpointedRun {
 public:
  // Resumes from `file` when `resume` is set and the file exists (saying so on stderr,
  // under `name`); otherwise starts at step 0.
  CheckpointedRun(const std::string &name, std::filesystem::path file, CheckpointContents contents,
                  bool resume);

  RunPosition &position() { return position_; }
  // Training seconds so far, resumed runs included.
  double elapsed() const;
  // Writes the checkpoint now.
  void save();
  // Writes the checkpoint when `interval_seconds` have passed since it was last written.
  void save_every(double interval_seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::filesystem::path file_;
  CheckpointContents contents_;
  RunPosition position_;
  Clock::time_point start_ = Clock::now(), last_save_ = Clock::now();
  double elapsed_before_ = 0.0;
};

// Copies the parameters of `source` into `target` (same architecture), without autograd.
void copy_parameters(const torch::nn::Module &source, torch::nn::Module &target);

}  // namespace amused::train
