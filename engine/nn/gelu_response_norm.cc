#include "nn/gelu_response_norm.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

AMUSED_VECTOR_CLONES
void gelu_row_sum_squares(float *row, float *sum_squares, int64_t cols) {
#pragma omp simd
  for (int64_t c = 0; c < cols; ++c) {
    const float g = gelu_erf(row[c]);
    row[c] = g;
    sum_squares[c] += g * g;
  }
}

AMUSED_VECTOR_CLONES
void scale_shift_row(const float *row, const float *scale, const float *shift, float *out,
                     int64_t cols) {
#pragma omp simd
  for (int64_t c = 0; c < cols; ++c) out[c] = row[c] * scale[c] + shift[c];
}

struct Shape {
  int64_t images, positions, channels;
};

Shape check(const torch::Tensor &h, const torch::Tensor &gamma, const torch::Tensor &beta) {
  if (h.dim() != 4 || h.scalar_type() != torch::kFloat32 || !h.is_contiguous() || !h.is_cpu())
    throw std::logic_error("gelu_response_norm: h must be contiguous fp32 [B,H,W,C] on the CPU");
  const Shape s{h.size(0), h.size(1) * h.size(2), h.size(3)};
  if (gamma.numel() != s.channels || beta.numel() != s.channels)
    throw std::logic_error("gelu_response_norm: gamma and beta must hold one value per channel");
  return s;
}

// Pass 1: gelu in place, summing each (image, channel)'s squares on the way (channel blocks
// in parallel, so no two threads add to one sum). Returns GRN's per-(image, channel)
// multiplier of g: gamma * n + 1.
std::vector<float> gelu_and_multipliers(torch::Tensor &h, const Shape &s,
                                        const torch::Tensor &gamma) {
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (s.channels + kBlock - 1) / kBlock;
  std::vector<float> sum_squares(static_cast<size_t>(s.images * s.channels), 0.0f);
  float *data = h.data_ptr<float>();
  at::parallel_for(0, s.images * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks, c0 = (task % blocks) * kBlock;
      const int64_t n = std::min(kBlock, s.channels - c0);
      float *sums = sum_squares.data() + b * s.channels + c0;
      for (int64_t p = 0; p < s.positions; ++p)
        gelu_row_sum_squares(data + (b * s.positions + p) * s.channels + c0, sums, n);
    }
  });
  const auto g = gamma.to(torch::kFloat32).contiguous();
  const float *gm = g.data_ptr<float>();
  std::vector<float> multipliers(sum_squares.size());
  for (int64_t b = 0; b < s.images; ++b) {
    float *norms = sum_squares.data() + b * s.channels;
    float mean = 0.0f;
    for (int64_t c = 0; c < s.channels; ++c) {
      norms[c] = std::sqrt(norms[c]);
      mean += norms[c];
    }
    mean /= static_cast<float>(s.channels);
    for (int64_t c = 0; c < s.channels; ++c)
      multipliers[b * s.channels + c] = gm[c] * (norms[c] / (mean + 1e-6f)) + 1.0f;
  }
  return multipliers;
}

}  // namespace

torch::Tensor gelu_response_norm_(torch::Tensor h, const torch::Tensor &gamma,
                                  const torch::Tensor &beta) {
  const Shape s = check(h, gamma, beta);
  const auto multipliers = gelu_and_multipliers(h, s, gamma);
  const auto shift = beta.to(torch::kFloat32).contiguous();
  float *data = h.data_ptr<float>();
  const float *sh = shift.data_ptr<float>();
  at::parallel_for(0, s.images * s.positions, 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float *row = data + r * s.channels;
      scale_shift_row(row, multipliers.data() + (r / s.positions) * s.channels, sh, row,
                      s.channels);
    }
  });
  return h;
}

QuantizedRows gelu_response_norm_quantized(torch::Tensor h, const torch::Tensor &gamma,
                                           const torch::Tensor &beta) {
  const Shape s = check(h, gamma, beta);
  const auto multipliers = gelu_and_multipliers(h, s, gamma);
  const auto shift = beta.to(torch::kFloat32).contiguous();
  QuantizedRows q = empty_quantized_rows(h.sizes());
  const float *data = h.data_ptr<float>(), *sh = shift.data_ptr<float>();
  uint8_t *values = q.values.data_ptr<uint8_t>();
  float *scales = q.scales.data_ptr<float>();
  at::parallel_for(0, s.images * s.positions, 4, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(s.channels));  // stays in L1 for the quantization
    for (int64_t r = begin; r < end; ++r) {
      scale_shift_row(data + r * s.channels, multipliers.data() + (r / s.positions) * s.channels,
                      sh, row.data(), s.channels);
      quantize_row_u8(row.data(), s.channels, values + r * s.channels, scales + r);
    }
  });
  return q;
}

}  // namespace amused::nn
