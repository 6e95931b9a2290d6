#include "nn/gated_gelu.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

AMUSED_VECTOR_CLONES
void gated_gelu_row(const float *value, const float *gate, float *out, int64_t cols) {
#pragma omp simd
  for (int64_t c = 0; c < cols; ++c) out[c] = value[c] * gelu_erf(gate[c]);
}

void check_halves(const torch::Tensor &value, const torch::Tensor &gate) {
  if (value.sizes() != gate.sizes() || value.scalar_type() != torch::kFloat32 ||
      gate.scalar_type() != torch::kFloat32 || !value.is_contiguous() || !gate.is_contiguous())
    throw std::logic_error("gated_gelu: value and gate must be contiguous fp32 of one shape");
}

}  // namespace

torch::Tensor gated_gelu_(torch::Tensor value, const torch::Tensor &gate) {
  check_halves(value, gate);
  const int64_t cols = value.size(-1), rows = cols == 0 ? 0 : value.numel() / cols;
  float *v = value.data_ptr<float>();
  const float *g = gate.data_ptr<float>();
  at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      gated_gelu_row(v + r * cols, g + r * cols, v + r * cols, cols);
  });
  return value;
}

QuantizedRows gated_gelu_quantized(const torch::Tensor &value, const torch::Tensor &gate) {
  check_halves(value, gate);
  const int64_t cols = value.size(-1), rows = cols == 0 ? 0 : value.numel() / cols;
  QuantizedRows q = empty_quantized_rows(value.sizes());
  const float *v = value.data_ptr<float>(), *g = gate.data_ptr<float>();
  uint8_t *values = q.values.data_ptr<uint8_t>();
  float *scales = q.scales.data_ptr<float>();
  at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(cols));  // stays in L1 between the two passes
    for (int64_t r = begin; r < end; ++r) {
      gated_gelu_row(v + r * cols, g + r * cols, row.data(), cols);
      quantize_row_u8(row.data(), cols, values + r * cols, scales + r);
    }
  });
  return q;
}

}  // namespace amused::nn
