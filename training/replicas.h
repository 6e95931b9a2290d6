// Data parallelism inside one process, for the transformer stage.
//
// At this model's sizes libtorch's operators use a second core poorly (many small matmuls
// and batched attention products that run on one thread), so the cores are better spent
// on separate copies of the model: each thread runs its own replica single-threaded on a
// slice of the batch, forward and backward; the gradients are averaged into the master's
// parameters before the optimizer steps, and sync() copies the updated weights back.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "lab/amused_lab.h"

namespace amused::train {

class Replicas {
 public:
  // `count` - 1 copies of the master's modules (count >= 1; 1 = no threads at all).
  Replicas(text::ClipTextModelWithProjection master_text, transformer::UVit2DModel master_uvit,
           int count);

  int count() const { return static_cast<int>(copies_.size()) + 1; }

  // Runs loss_of(k, text, uvit) for k = 0..count-1 (k = 0 on the master, on this thread;
  // the others each on a thread of its own, single-threaded) and backpropagates each loss.
  // Leaves the mean of the replicas' gradients on the master's parameters; returns the
  // mean loss. An exception in any replica is rethrown here after all have finished.
  using LossFn = std::function<torch::Tensor(int k, text::ClipTextModelWithProjection &,
                                             transformer::UVit2DModel &)>;
  double backward(const LossFn &loss_of);

  // Copies the master's parameters to every replica (after an optimizer step or a resume).
  void sync();

 private:
  struct Copy {
    text::ClipTextModelWithProjection text;
    transformer::UVit2DModel uvit;
    std::vector<torch::Tensor> params;
  };
  text::ClipTextModelWithProjection master_text_;
  transformer::UVit2DModel master_uvit_;
  std::vector<torch::Tensor> master_params_;
  std::vector<Copy> copies_;
};

}  // namespace amused::train
