// Finite scalar quantization (Mentzer et al. 2023) written as an ordinary codebook.
//
// Each of the d latent channels is rounded to one of L_i evenly spaced values in [-1, 1];
// the codebook is the grid of all prod(L_i) combinations. For an axis-aligned grid the
// nearest point (euclidean) is found per channel by clamping and rounding, so the
// rounding used in training is exactly the torch.cdist argmin that the engine and diffusers
// run at inference over the exported grid: the VQModel exports unchanged. Nothing in the
// codebook is learned, so no code dies as learned codes do; a channel can still stop
// varying if a loss pulls it to one level (vq_trainer.cc keeps the commitment term off it).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace amused::train {

class FsqGrid {
 public:
  explicit FsqGrid(std::vector<int64_t> levels);

  int64_t size() const { return size_; }
  int64_t dims() const { return static_cast<int64_t>(levels_.size()); }
  const std::vector<int64_t> &levels() const { return levels_; }

  // The grid points [size, dims]; row k is the point whose index is k.
  torch::Tensor codebook() const;
  // Nearest grid point of each row of z [N, dims] (no gradient).
  torch::Tensor quantize(const torch::Tensor &z) const;
  // Index of the nearest grid point of each row of z [N, dims].
  torch::Tensor indices(const torch::Tensor &z) const;

 private:
  torch::Tensor level_indices(const torch::Tensor &z) const;  // [N, dims] in [0, L_i)

  std::vector<int64_t> levels_;
  int64_t size_ = 1;
  torch::Tensor levels_t_, strides_t_;
};

}  // namespace amused::train
