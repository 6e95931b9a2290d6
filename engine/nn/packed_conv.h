// A convolution with int8 weights packed once for oneDNN (one scale per output channel) and
// activations quantized on every call to u8 with one scale and zero point for the whole
// input: VNNI's int8 convolution, about twice bf16's rate on the VQ decoder's shapes. bf16
// channels-last in and out, as the VQ runs in bf16.
//
// One scale per map rather than per pixel: a convolution mixes neighbouring pixels, so a
// per-pixel scale cannot be applied after it. Asymmetric because most of the VQ's
// convolutions read SiLU outputs, which lie in [-0.28, max]: a symmetric code would spend
// half its steps on negatives that do not occur (measured on amused-256: 30.5 dB from the
// fp32 decode with s8, see docs/speed.md for u8).
#pragma once

#include <torch/types.h>

#include <memory>

namespace amused::nn {

class PackedConv2d {
 public:
  // `weight` [O, I, K, K] and `bias` [O] (or undefined), any floating dtype, on the CPU.
  PackedConv2d(const torch::Tensor &weight, const torch::Tensor &bias, int64_t stride,
               int64_t padding);
  ~PackedConv2d();
  PackedConv2d(const PackedConv2d &) = delete;
  PackedConv2d &operator=(const PackedConv2d &) = delete;

  // x [N, I, H, W], bf16 or fp32 -> [N, O, H', W'] bf16, channels-last. Safe from several
  // threads at once.
  torch::Tensor forward(const torch::Tensor &x) const;

  // The quantized weights and their copies in the layouts the primitives so far asked for.
  size_t weight_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct AsymmetricScale {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Quantizes `n` bf16 values to u8 over their range widened to hold 0: q = round(x / s) + z,
// s = (max - min) / 255, z = round(-min / s); s = 1 for an all-zero input. Exposed for its
// test.
AsymmetricScale quantize_tensor_u8(const uint16_t *bf16, int64_t n, uint8_t *q);

}  // namespace amused::nn
