// A linear layer's weights converted and packed once, when the model loads, for oneDNN's
// matrix multiplication on the CPU: no per-call reorder or dtype conversion of the weights.
//
//  - bf16: bf16 weights and activations, fp32 accumulation and output (AVX-512 BF16, AMX).
//  - int8: s8 weights with one scale per output channel; activations quantized on the fly
//    to u8 with one scale per token (row), zero point 128; s32 accumulation (VNNI, AMX);
//    fp32 output. A per-token scale follows each token's own range, which a per-tensor one
//    would set by the largest token of the batch.
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

namespace amused::nn {

enum class PackedType { kBFloat16, kInt8 };

// Activations quantized for the int8 products: u8 rows with zero point 128, [..., K], and one
// scale per row, [...]. Products of the same input share one quantization.
struct QuantizedRows {
  torch::Tensor values;
  torch::Tensor scales;
};

// x [..., K], fp32 or bf16.
QuantizedRows quantize_rows(const torch::Tensor &x);
// Uninitialised rows of `sizes` [..., K], for kernels that quantize what they compute.
QuantizedRows empty_quantized_rows(at::IntArrayRef sizes);

// Weights [N, ...] as s8 with one scale per output channel (the first dimension):
// q = round(w / s), s = max|w of the channel| / 127.
struct QuantizedWeights {
  torch::Tensor values;  // s8, contiguous, weight's shape
  torch::Tensor scales;  // fp32 [N]
};
QuantizedWeights quantize_weights_s8(const torch::Tensor &weight);

class PackedLinear {
 public:
  // `weight` [N, K] and `bias` [N] (or undefined), any floating dtype, on the CPU.
  PackedLinear(const torch::Tensor &weight, const torch::Tensor &bias, PackedType type);
  ~PackedLinear();
  PackedLinear(const PackedLinear &) = delete;
  PackedLinear &operator=(const PackedLinear &) = delete;

  // x [..., K] (fp32 or bf16) -> [..., N] fp32. Safe from several threads at once.
  torch::Tensor forward(const torch::Tensor &x) const;
  // The same from rows quantized already (int8 products only).
  torch::Tensor forward(const QuantizedRows &x) const;

  PackedType type() const;
  int64_t in_features() const;
  int64_t out_features() const;
  size_t weight_bytes() const;  // what the packed weights occupy

 private:
  void check_input(int64_t features) const;
  // src [rows, K]: bf16, or u8 with its rows' scales.
  torch::Tensor run(const torch::Tensor &src, const torch::Tensor &row_scales,
                    std::vector<int64_t> sizes) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Quantizes rows of `x` [M, K] (fp32, contiguous) to u8 with zero point 128: q = round(x / s)
// + 128 with s = max|row| / 127. Writes `q` [M*K] and `scales` [M]. Exposed for its test.
void quantize_rows_u8(const float *x, int64_t rows, int64_t cols, uint8_t *q, float *scales);
// One row, on the calling thread (for kernels that quantize what they compute).
void quantize_row_u8(const float *x, int64_t cols, uint8_t *q, float *scale);

}  // namespace amused::nn
