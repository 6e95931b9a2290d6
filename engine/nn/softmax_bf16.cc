#include "nn/softmax_bf16.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <climits>
#include <stdexcept>
#include <vector>

#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

AMUSED_VECTOR_CLONES
void softmax_row(uint16_t *row, float *buffer, int64_t n) {
  int32_t peak = INT32_MIN;
  for (int64_t c = 0; c < n; ++c) peak = std::max(peak, ordered_key(bf16_to_float(row[c])));
  const float max = key_float(peak);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t c = 0; c < n; ++c) {
    buffer[c] = exp_negative(max - bf16_to_float(row[c]));
    sum += buffer[c];
  }
  const float inverse = 1.0f / sum;
  for (int64_t c = 0; c < n; ++c) row[c] = float_to_bf16(buffer[c] * inverse);
}

}  // namespace

torch::Tensor softmax_bf16_(torch::Tensor scores) {
  if (scores.scalar_type() != torch::kBFloat16 || !scores.is_contiguous() || !scores.is_cpu())
    throw std::logic_error("softmax_bf16_: expected contiguous bf16 scores on the CPU");
  const int64_t n = scores.size(-1), rows = n == 0 ? 0 : scores.numel() / n;
  auto *data = reinterpret_cast<uint16_t *>(scores.data_ptr<at::BFloat16>());
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> buffer(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) softmax_row(data + r * n, buffer.data(), n);
  });
  return scores;
}

}  // namespace amused::nn
