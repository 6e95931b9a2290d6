// The two products of scaled dot-product attention, in bf16 or fp32, through oneDNN's batched
// matrix products, with the softmax between them. libtorch 1.13's batched products ran at
// half the speed of oneDNN's brgemm kernel in bf16 and at a quarter in fp32 (one small BLAS
// call per head) on the amused-256 architecture. The scale is a constant of the scores'
// product, as the reference's baddbmm applies it, and the values' product writes the heads
// already merged, [B, S, heads * head_dim], so no copy follows it.
#pragma once

#include <torch/types.h>

#include <array>
#include <memory>

#include "nn/primitive_cache.h"

namespace amused::nn {

class AttentionProducts {
 public:
  // `type`: torch::kBFloat16 or torch::kFloat32, for inputs, scores and output alike.
  AttentionProducts(float scale, torch::ScalarType type);
  ~AttentionProducts();
  AttentionProducts(const AttentionProducts &) = delete;
  AttentionProducts &operator=(const AttentionProducts &) = delete;

  // q [B, H, S, D], k and v [B, H, T, D], of the products' type on the CPU, the same B and
  // H. Returns the attention's output [B, S, H * D] in that type, or an undefined tensor
  // where oneDNN has no optimized kernel for these shapes on this processor (the caller then
  // takes torch's products). Safe from several threads at once.
  torch::Tensor operator()(const torch::Tensor &q, const torch::Tensor &k,
                           const torch::Tensor &v) const;

 private:
  struct Products;
  const Products *products_for(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d) const;
  std::unique_ptr<Products> make(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d) const;

  float scale_;
  torch::ScalarType type_;
  // By shape {B, H, S, T, D}; null where oneDNN has no optimized kernel.
  PrimitiveCache<std::array<int64_t, 5>, std::unique_ptr<Products>> by_shape_;
};

}  // namespace amused::nn
