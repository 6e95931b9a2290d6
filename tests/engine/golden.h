// Reads the reference implementation's golden outputs (golden/golden.safetensors and
// golden/manifest.json) and compares tensors with the tolerances of the fixtures' README.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "checkpoint/safetensors.h"

namespace amused::testing {

inline std::filesystem::path data_dir() { return AMUSED_TESTS_DATA_DIR; }

class Golden {
 public:
  explicit Golden(const std::filesystem::path &checkpoint)
      : checkpoint_(checkpoint),
        file_(std::make_unique<checkpoint::SafetensorsFile>(checkpoint / "golden" /
                                                            "golden.safetensors")) {
    std::ifstream in(checkpoint / "golden" / "manifest.json");
    manifest_ = nlohmann::json::parse(in);
  }
  torch::Tensor operator[](const std::string &name) const { return file_->view(name).clone(); }
  bool has(const std::string &name) const { return file_->contains(name); }
  const nlohmann::json &manifest() const { return manifest_; }
  const std::filesystem::path &checkpoint() const { return checkpoint_; }

 private:
  std::filesystem::path checkpoint_;
  std::unique_ptr<checkpoint::SafetensorsFile> file_;
  nlohmann::json manifest_;
};

// Module outputs: |ours - reference| <= tol * max|reference| (the relative bound).
inline ::testing::AssertionResult close_relative(const torch::Tensor &ours,
                                                 const torch::Tensor &ref, double tol = 1e-4) {
  if (ours.sizes() != ref.sizes())
    return ::testing::AssertionFailure()
           << "shape " << ours.sizes() << " vs reference " << ref.sizes();
  auto a = ours.to(torch::kCPU, torch::kDouble), b = ref.to(torch::kDouble);
  const double scale = std::max(b.abs().max().item<double>(), 1e-12);
  const double err = (a - b).abs().max().item<double>();
  if (err <= tol * scale)
    return ::testing::AssertionSuccess() << "max error " << err << " (scale " << scale << ")";
  return ::testing::AssertionFailure()
         << "max error " << err << " exceeds " << tol << " x " << scale;
}

inline ::testing::AssertionResult identical(const torch::Tensor &ours, const torch::Tensor &ref) {
  if (ours.sizes() != ref.sizes())
    return ::testing::AssertionFailure()
           << "shape " << ours.sizes() << " vs reference " << ref.sizes();
  auto a = ours.to(torch::kCPU, torch::kLong), b = ref.to(torch::kLong);
  const int64_t differ = (a != b).sum().item<int64_t>();
  if (differ == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differ << " of " << a.numel() << " entries differ";
}

// Images: every channel of every pixel within `levels`/255.
inline ::testing::AssertionResult pixels_within(const torch::Tensor &ours_u8,
                                                const torch::Tensor &ref_u8, int levels = 2) {
  if (ours_u8.sizes() != ref_u8.sizes())
    return ::testing::AssertionFailure() << "shape " << ours_u8.sizes() << " vs " << ref_u8.sizes();
  auto d = (ours_u8.to(torch::kInt) - ref_u8.to(torch::kInt)).abs();
  const int worst = d.max().item<int>();
  if (worst <= levels) return ::testing::AssertionSuccess() << "worst pixel difference " << worst;
  return ::testing::AssertionFailure()
         << "worst pixel difference " << worst << "/255, " << (d > levels).sum().item<int64_t>()
         << " values over " << levels;
}

}  // namespace amused::testing
