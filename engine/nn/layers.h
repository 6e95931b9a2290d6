// The layers the aMUSEd modules are built from. Parameters are registered under the
// names PyTorch uses ("weight", "bias") and created uninitialised: weights come from a
// checkpoint (or from nn::init_parameters for training), never from a costly random init.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>

#include "nn/fp32_product.h"
#include "nn/packed_linear.h"

namespace amused::nn {

class PackedConv2d;

// How Linear layers run their matrix products on CPU.
enum class MatmulBackend {
  kDefault,  // torch::linear (BLAS for fp32)
  kOneDnn,   // oneDNN for large fp32 products (nn/fp32_product.h)
};

// A layer's own oneDNN fp32 products for `backend` (null for the default one).
std::shared_ptr<const Fp32Product> fp32_product_for(MatmulBackend backend);

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias);
  torch::Tensor forward(const torch::Tensor &x);

  // Stores the weight in bf16 and runs the product in bf16 (output keeps the input dtype):
  // torch's own path, for devices oneDNN does not serve.
  void use_bfloat16();
  // Converts and packs the weights for oneDNN (CPU), releasing the original ones.
  void pack(PackedType type);
  bool packed() const { return packed_ != nullptr; }
  const PackedLinear *packed_product() const { return packed_.get(); }
  // Drops the weights (a fused product elsewhere computes this layer); forward then fails.
  void release_weights();
  bool released() const { return released_; }
  void set_backend(MatmulBackend backend) { fp32_product_ = fp32_product_for(backend); }

  torch::Tensor weight;
  torch::Tensor bias;  // undefined when the layer has none

 private:
  std::shared_ptr<const Fp32Product> fp32_product_;  // with the oneDNN backend
  torch::Tensor bias_bf16_;
  std::shared_ptr<const PackedLinear> packed_;
  bool released_ = false;
};
TORCH_MODULE(Linear);

// diffusers' RMSNorm: statistics in fp32, optional elementwise weight, no bias.
class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps, bool elementwise_affine);
  torch::Tensor forward(const torch::Tensor &x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

// LayerNorm over the last dimension with optional weight and (separately) optional bias,
// like diffusers' LayerNorm for torch < 2.1.
class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps, bool elementwise_affine, bool bias);
  torch::Tensor forward(const torch::Tensor &x);
  torch::Tensor weight, bias;

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(LayerNorm);

// Group statistics of a decoder pass, recorded once and then reused, so that a video's
// frames are decoded with the same normalisation: GroupNorm over the whole image would
// otherwise let new content at one edge shift colours everywhere, and a kept background
// would not stay still. One entry per GroupNorm call, in call order.
struct NormStats {
  enum class Mode { kRecord, kApply };
  Mode mode = Mode::kRecord;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> mean_var;
  size_t cursor = 0;
  bool recorded() const { return !mean_var.empty(); }
};

class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t groups, int64_t channels, double eps);
  torch::Tensor forward(const torch::Tensor &x, NormStats *stats = nullptr);
  torch::Tensor weight, bias;

 private:
  int64_t groups_;
  double eps_;
};
TORCH_MODULE(GroupNorm);

struct Conv2dOptions {
  int64_t in, out, kernel, stride = 1, padding = 0, groups = 1;
  bool bias = true;
};

class Conv2dImpl : public torch::nn::Module {
 public:
  explicit Conv2dImpl(const Conv2dOptions &o);
  torch::Tensor forward(const torch::Tensor &x);
  void set_backend(MatmulBackend backend) { fp32_product_ = fp32_product_for(backend); }
  bool pointwise() const;
  // A pointwise convolution is a matrix product over channels: packed as a Linear.
  void pack(PackedType type);
  bool packed() const { return packed_ != nullptr || packed_conv_ != nullptr; }
  const PackedLinear *packed_product() const { return packed_.get(); }
  // Any convolution as oneDNN's int8 convolution (nn/packed_conv.h): bf16 channels-last
  // in and out. The fp32 weights are released.
  void pack_int8_convolution();
  const Conv2dOptions &options() const { return options_; }
  torch::Tensor weight, bias;

 private:
  Conv2dOptions options_;
  std::shared_ptr<const Fp32Product> fp32_product_;  // with the oneDNN backend
  std::shared_ptr<const PackedLinear> packed_;
  std::shared_ptr<const PackedConv2d> packed_conv_;
};
TORCH_MODULE(Conv2d);

class ConvTranspose2dImpl : public torch::nn::Module {
 public:
  explicit ConvTranspose2dImpl(const Conv2dOptions &o);
  torch::Tensor forward(const torch::Tensor &x);
  torch::Tensor weight, bias;

 private:
  Conv2dOptions options_;
};
TORCH_MODULE(ConvTranspose2d);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t count, int64_t dim);
  torch::Tensor forward(const torch::Tensor &ids);
  torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// Matrix product x . w^T + b for x [..., in] and w [out, in], through `product` where given
// and it serves the case (inference in fp32 on the CPU, large weights), else torch::linear:
// the one routine Linear and pointwise (1x1) convolutions share.
torch::Tensor linear_product(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b,
                             const Fp32Product *product);

// Attention products q.k^T and p.v for [B, heads, S, d] tensors; in bf16 when `bf16`.
torch::Tensor attention_matmul(const torch::Tensor &a, const torch::Tensor &b, bool bf16);

// Walks a module tree and sets every Linear's backend / converts it to bf16.
void set_matmul_backend(torch::nn::Module &root, MatmulBackend backend);
void use_bfloat16_matmuls(torch::nn::Module &root);
// Packs every Linear and pointwise Conv2d of the tree for oneDNN, in the type `choose`
// gives for its name (its path in the tree, e.g. "transformer_layers.3.ff.net.2"). The
// self-attentions named by `fuse_self` get one fused q/k/v product.
void pack_linears(torch::nn::Module &root,
                  const std::function<PackedType(const std::string &name)> &choose,
                  const std::function<bool(const std::string &name)> &fuse_self = {});

// Initialisation for training from scratch: normal(0, std) for Linear/Embedding/Conv
// weights, zeros for biases, ones for norm weights (as transformers/diffusers init).
void init_parameters(torch::nn::Module &root, double std, uint64_t seed);

}  // namespace amused::nn
