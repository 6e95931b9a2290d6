#include "training/fsq.h"

#include <torch/torch.h>

#include "amused.h"

namespace amused::train {

FsqGrid::FsqGrid(std::vector<int64_t> levels) : levels_(std::move(levels)) {
  if (levels_.empty()) throw Error("FSQ needs at least one level");
  std::vector<int64_t> strides;
  for (int64_t l : levels_) {
    if (l < 2) throw Error("FSQ levels must be >= 2");
    strides.push_back(size_);
    size_ *= l;
  }
  levels_t_ = torch::tensor(levels_, torch::kLong);
  strides_t_ = torch::tensor(strides, torch::kLong);
}

torch::Tensor FsqGrid::codebook() const {
  auto k = torch::arange(size_, torch::kLong).unsqueeze(1);
  auto idx = (k.div(strides_t_, "floor")).remainder(levels_t_);  // [size, dims]
  auto steps = (levels_t_ - 1).to(torch::kFloat32);
  return idx.to(torch::kFloat32) * (2.0f / steps) - 1.0f;
}

torch::Tensor FsqGrid::level_indices(const torch::Tensor &z) const {
  auto steps = (levels_t_ - 1).to(z.dtype());
  return ((z.clamp(-1.0, 1.0) + 1.0) * (steps / 2.0)).round().to(torch::kLong);
}

torch::Tensor FsqGrid::quantize(const torch::Tensor &z) const {
  torch::NoGradGuard no_grad;
  auto steps = (levels_t_ - 1).to(z.dtype());
  return level_indices(z).to(z.dtype()) * (2.0 / steps) - 1.0;
}

torch::Tensor FsqGrid::indices(const torch::Tensor &z) const {
  torch::NoGradGuard no_grad;
  return (level_indices(z) * strides_t_).sum(1);
}

}  // namespace amused::train
