#include "nn/modulated_norm.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "nn/vector_clones.h"

namespace amused::nn {

namespace {

// Per row: the mean (layer norm only) and 1/sqrt(variance + eps).
AMUSED_VECTOR_CLONES
void row_statistics(const float *x, int64_t begin, int64_t end, int64_t d, bool centre, double eps,
                    float *mean, float *rstd) {
  for (int64_t r = begin; r < end; ++r) {
    const float *row = x + r * d;
    // Two passes over a row that stays in cache: the centred sum of squares does not lose
    // the variance to cancellation when the mean is large.
    // `omp simd`: without it the compiler keeps a float sum in source order, one lane.
    float sum = 0;
    if (centre) {
#pragma omp simd reduction(+ : sum)
      for (int64_t c = 0; c < d; ++c) sum += row[c];
    }
    const float m = centre ? sum / static_cast<float>(d) : 0.0f;
    float squares = 0;
#pragma omp simd reduction(+ : squares)
    for (int64_t c = 0; c < d; ++c) squares += (row[c] - m) * (row[c] - m);
    const double var = static_cast<double>(squares) / d;
    mean[r] = m;
    rstd[r] = static_cast<float>(1.0 / std::sqrt(var + eps));
  }
}

// y = (x - mean) * rstd * a[c] + b[c], with a and b folding the weight, bias, scale, shift.
AMUSED_VECTOR_CLONES
void normalise_rows(const float *x, float *y, int64_t begin, int64_t end, int64_t d,
                    const float *mean, const float *rstd, const float *a, const float *b) {
  for (int64_t r = begin; r < end; ++r) {
    const float m = mean[r], s = rstd[r];
    for (int64_t c = 0; c < d; ++c) y[r * d + c] = (x[r * d + c] - m) * s * a[c] + b[c];
  }
}

}  // namespace

torch::Tensor modulated_norm(const torch::Tensor &input, NormKind kind, const torch::Tensor &weight,
                             const torch::Tensor &bias, double eps, const torch::Tensor &scale,
                             const torch::Tensor &shift) {
  const auto x = input.to(torch::kFloat32).contiguous();
  const int64_t batch = x.size(0), rows = x.size(1), d = x.size(2);
  auto y = torch::empty_like(x);
  // a = w * (1 + scale), b = bias * (1 + scale) + shift, per image.
  auto one_plus = (1 + scale.to(torch::kFloat32)).contiguous();
  auto a = weight.defined() ? (one_plus * weight.to(torch::kFloat32)).contiguous() : one_plus;
  auto b = bias.defined()
               ? (one_plus * bias.to(torch::kFloat32) + shift.to(torch::kFloat32)).contiguous()
               : shift.to(torch::kFloat32).contiguous();
  std::vector<float> mean(static_cast<size_t>(batch * rows)), rstd(mean.size());
  const float *in = x.data_ptr<float>();
  float *out = y.data_ptr<float>();
  at::parallel_for(0, batch * rows, 16, [&](int64_t begin, int64_t end) {
    row_statistics(in, begin, end, d, kind == NormKind::kLayer, eps, mean.data(), rstd.data());
  });
  for (int64_t image = 0; image < batch; ++image)
    at::parallel_for(image * rows, (image + 1) * rows, 16, [&](int64_t begin, int64_t end) {
      normalise_rows(in, out, begin, end, d, mean.data(), rstd.data(),
                     a.data_ptr<float>() + image * d, b.data_ptr<float>() + image * d);
    });
  return y;
}

}  // namespace amused::nn
