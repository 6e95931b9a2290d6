// diffusers' Attention (to_q, to_k, to_v, to_out.0) with the classic processor, split into
// projection and attention so video code can add cached keys/values of other frames.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include "nn/layers.h"

namespace amused::nn {

class AttentionProducts;

struct AttentionOptions {
  int64_t query_dim = 0;
  int64_t context_dim = 0;  // 0 = query_dim (self-attention)
  int64_t heads = 1;
  int64_t head_dim = 0;
  bool bias = false;     // q/k/v projections
  bool out_bias = true;  // output projection
};

struct KeyValue {
  torch::Tensor key;    // [B, heads, S, head_dim]
  torch::Tensor value;  // [B, heads, S, head_dim]
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions &options);

  // Plain attention of `x` [B, S, query_dim] over `context` [B, T, context_dim]
  // (context undefined = self-attention).
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &context = {});

  KeyValue project_key_value(const torch::Tensor &context);
  // Attention of x's queries over the given keys/values, then the output projection.
  torch::Tensor attend(const torch::Tensor &x, const KeyValue &kv);

  // Self-attention in two halves, so that the caller can add other frames' keys/values:
  // x's queries (split into heads) and its own keys/values, then the attention of those
  // queries over the given keys/values and the output projection.
  std::pair<torch::Tensor, KeyValue> project_self(const torch::Tensor &x);
  torch::Tensor attend_queries(const torch::Tensor &q, const KeyValue &kv);
  // Packs to_q, to_k and to_v as one matrix product (one quantization of x, one wide
  // product), for a layer whose queries, keys and values all come from the same input.
  void fuse_self_projections(PackedType type);

  int64_t heads() const { return options_.heads; }
  // Runs the attention products in bf16 (set with the model's bf16 precision).
  void set_bfloat16_products(bool on);
  // With MatmulBackend::kOneDnn, inference in fp32 runs its products through oneDNN.
  void set_backend(MatmulBackend backend);
  // Names of the parts in a profile (util/profiler.h): the q/k/v projections, the products
  // and softmax, the output projection. Static strings.
  void set_profile_names(const char *projections, const char *products, const char *output) {
    profile_ = {projections, products, output};
  }

  Linear to_q = nullptr, to_k = nullptr, to_v = nullptr;
  torch::nn::ModuleList to_out;

 private:
  torch::Tensor split_heads(const torch::Tensor &t) const;
  KeyValue for_products(KeyValue kv) const;

  AttentionOptions options_;
  double scale_;
  bool bf16_products_ = false;
  std::shared_ptr<const PackedLinear> fused_qkv_;
  std::shared_ptr<const AttentionProducts> products_;       // with bf16 products
  std::shared_ptr<const AttentionProducts> fp32_products_;  // with the oneDNN backend
  struct {
    const char *projections = "attention", *products = "attention", *output = "attention";
  } profile_;
};
TORCH_MODULE(Attention);

}  // namespace amused::nn
