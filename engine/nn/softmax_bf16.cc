#include "nn/softmax_bf16.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <vector>

#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

// Rows of a block: the exponentials run as one loop over the whole block, so that short rows
// (77 text tokens) do not spend their time in scalar loop tails.
AMUSED_VECTOR_CLONES
void softmax_block(uint16_t *data, float *buffer, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint16_t *row = data + r * n;
    int32_t peak = INT32_MIN;
    for (int64_t c = 0; c < n; ++c) peak = std::max(peak, ordered_key(bf16_to_float(row[c])));
    const float max = key_float(peak);
    float *shifted = buffer + r * n;
    for (int64_t c = 0; c < n; ++c) shifted[c] = max - bf16_to_float(row[c]);
  }
  const int64_t count = rows * n;
  for (int64_t i = 0; i < count; ++i) buffer[i] = exp_negative(buffer[i]);
  for (int64_t r = 0; r < rows; ++r) {
    const float *e = buffer + r * n;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < n; ++c) sum += e[c];
    const float inverse = 1.0f / sum;
    uint16_t *row = data + r * n;
    for (int64_t c = 0; c < n; ++c) row[c] = float_to_bf16(e[c] * inverse);
  }
}

}  // namespace

torch::Tensor softmax_bf16_(torch::Tensor scores) {
  if (scores.scalar_type() != torch::kBFloat16 || !scores.is_contiguous() || !scores.is_cpu())
    throw std::logic_error("softmax_bf16_: expected contiguous bf16 scores on the CPU");
  const int64_t n = scores.size(-1), rows = n == 0 ? 0 : scores.numel() / n;
  auto *data = reinterpret_cast<uint16_t *>(scores.data_ptr<at::BFloat16>());
  // Blocks of about 16K scores: the buffer stays in L2 between the passes.
  const int64_t block = std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1));
  at::parallel_for(0, rows, block, [&](int64_t begin, int64_t end) {
    std::vector<float> buffer(static_cast<size_t>(std::min(block, end - begin) * n));
    for (int64_t r = begin; r < end; r += block)
      softmax_block(data + r * n, buffer.data(), std::min(block, end - r), n);
  });
  return scores;
}

}  // namespace amused::nn
