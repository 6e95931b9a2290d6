#include "nn/group_norm_bf16.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

// Sum and sum of squares of one group's channels over pixels [begin, end).
AMUSED_VECTOR_CLONES
void group_sums(const uint16_t *x, int64_t begin, int64_t end, int64_t channels,
                int64_t first_channel, int64_t group_channels, double *sum, double *squares) {
  double s = 0, q = 0;
  for (int64_t p = begin; p < end; ++p) {
    const uint16_t *px = x + p * channels + first_channel;
    float ps = 0, pq = 0;
    for (int64_t c = 0; c < group_channels; ++c) {
      const float v = bf16_to_float(px[c]);
      ps += v;
      pq += v * v;
    }
    s += ps;
    q += pq;
  }
  *sum = s;
  *squares = q;
}

// y = x * scale[c] + shift[c] over pixels [begin, end).
AMUSED_VECTOR_CLONES
void apply_affine(const uint16_t *x, uint16_t *y, int64_t begin, int64_t end, int64_t channels,
                  const float *scale, const float *shift) {
  for (int64_t p = begin; p < end; ++p)
    for (int64_t c = 0; c < channels; ++c)
      y[p * channels + c] = float_to_bf16(bf16_to_float(x[p * channels + c]) * scale[c] + shift[c]);
}

}  // namespace

torch::Tensor group_norm_bf16(const torch::Tensor &input, int64_t groups,
                              const torch::Tensor &weight, const torch::Tensor &bias, double eps) {
  const auto x = input.contiguous(at::MemoryFormat::ChannelsLast);
  const int64_t n = x.size(0), channels = x.size(1), pixels = x.size(2) * x.size(3);
  const int64_t per_group = channels / groups;
  const auto w = weight.to(torch::kFloat32).contiguous(), b = bias.to(torch::kFloat32).contiguous();
  auto y = torch::empty_like(x, at::MemoryFormat::ChannelsLast);
  const auto *in = reinterpret_cast<const uint16_t *>(x.data_ptr<at::BFloat16>());
  auto *out = reinterpret_cast<uint16_t *>(y.data_ptr<at::BFloat16>());
  std::vector<float> scale(static_cast<size_t>(n * channels)), shift(scale.size());
  // Statistics: one task per (image, group), each reading its channels of every pixel.
  at::parallel_for(0, n * groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t image = task / groups, g = task % groups;
      double sum = 0, squares = 0;
      group_sums(in + image * pixels * channels, 0, pixels, channels, g * per_group, per_group,
                 &sum, &squares);
      const double count = static_cast<double>(pixels * per_group);
      const double mean = sum / count;
      const double var = std::max(0.0, squares / count - mean * mean);
      const double rstd = 1.0 / std::sqrt(var + eps);
      for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
        const float wc = w.data_ptr<float>()[c], bc = b.data_ptr<float>()[c];
        scale[image * channels + c] = static_cast<float>(rstd * wc);
        shift[image * channels + c] = static_cast<float>(bc - mean * rstd * wc);
      }
    }
  });
  for (int64_t image = 0; image < n; ++image)
    at::parallel_for(0, pixels, 1024, [&](int64_t begin, int64_t end) {
      apply_affine(in + image * pixels * channels, out + image * pixels * channels, begin, end,
                   channels, &scale[image * channels], &shift[image * channels]);
    });
  return y;
}

}  // namespace amused::nn
