#include "nn/layers.h"

#include "nn/attention.h"
#include "nn/group_norm_bf16.h"
#include "nn/packed_conv.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace amused::nn {

namespace {

torch::Tensor uninitialised(std::vector<int64_t> shape) { return torch::empty(shape); }

// Below this many weights oneDNN's conversions cost more than they save.
constexpr int64_t kOneDnnMinWeights = 64 * 1024;

}  // namespace

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool with_bias) {
  weight = register_parameter("weight", uninitialised({out_features, in_features}));
  if (with_bias) bias = register_parameter("bias", uninitialised({out_features}));
}

void LinearImpl::use_bfloat16() {
  torch::NoGradGuard no_grad;
  weight.set_data(weight.to(torch::kBFloat16));
  if (bias.defined()) bias_bf16_ = bias.to(torch::kBFloat16);
}

torch::Tensor linear_product(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b,
                             const Fp32Product *product) {
  if (product && !torch::GradMode::is_enabled() && x.is_cpu() &&
      x.scalar_type() == torch::kFloat32 && w.scalar_type() == torch::kFloat32 &&
      w.is_contiguous() && (!b.defined() || b.is_contiguous()) && w.numel() >= kOneDnnMinWeights) {
    auto sizes = x.sizes().vec();
    auto y = (*product)(x.reshape({-1, sizes.back()}).contiguous(), w, b);
    if (y.defined()) {
      sizes.back() = w.size(0);
      return y.view(sizes);
    }
  }
  return torch::linear(x, w, b);
}

std::shared_ptr<const Fp32Product> fp32_product_for(MatmulBackend backend) {
  return backend == MatmulBackend::kOneDnn ? std::make_shared<const Fp32Product>() : nullptr;
}

torch::Tensor attention_matmul(const torch::Tensor &a, const torch::Tensor &b, bool bf16) {
  if (bf16 && a.is_cpu() && a.scalar_type() == torch::kFloat32)
    return torch::matmul(a.to(torch::kBFloat16), b.to(torch::kBFloat16)).to(torch::kFloat32);
  return torch::matmul(a, b);
}

void LinearImpl::pack(PackedType type) {
  torch::NoGradGuard no_grad;
  packed_ = std::make_shared<const PackedLinear>(weight, bias, type);
  // The packed copy is all the layer needs from now on.
  weight.set_data(torch::empty({0}, weight.options()));
  bias_bf16_ = torch::Tensor();
}

void LinearImpl::release_weights() {
  weight.set_data(torch::empty({0}, weight.options()));
  if (bias.defined()) bias.set_data(torch::empty({0}, bias.options()));
  released_ = true;
}

torch::Tensor LinearImpl::forward(const torch::Tensor &x) {
  if (packed_) return packed_->forward(x).to(x.scalar_type());
  if (released_) throw std::logic_error("Linear: weights released to a fused product");
  if (weight.scalar_type() == torch::kBFloat16) {
    // oneDNN's bf16 GEMM (AMX/AVX-512 where present); the rest of the network stays fp32.
    auto y = torch::linear(x.to(torch::kBFloat16), weight,
                           bias.defined() ? bias_bf16_ : torch::Tensor());
    return y.to(x.scalar_type());
  }
  return linear_product(x, weight, bias, fp32_product_.get());
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps, bool elementwise_affine) : eps_(eps) {
  if (elementwise_affine) weight = register_parameter("weight", uninitialised({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor &x) {
  auto variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
  auto y = x * torch::rsqrt(variance + eps_);
  if (weight.defined()) return y * weight;
  return y.to(x.scalar_type());
}

LayerNormImpl::LayerNormImpl(int64_t dim, double eps, bool elementwise_affine, bool with_bias)
    : dim_(dim), eps_(eps) {
  if (elementwise_affine) {
    weight = register_parameter("weight", uninitialised({dim}));
    if (with_bias) bias = register_parameter("bias", uninitialised({dim}));
  }
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor &x) {
  // Under CPU autocast (training in bf16) a bf16 activation meets fp32 parameters, which
  // libtorch 1.13's layer_norm_cpu refuses; normalising in fp32 is what autocast wants anyway.
  if (weight.defined() && x.scalar_type() != weight.scalar_type())
    return torch::layer_norm(x.to(weight.scalar_type()), {dim_}, weight, bias, eps_);
  return torch::layer_norm(x, {dim_}, weight, bias, eps_);
}

GroupNormImpl::GroupNormImpl(int64_t groups, int64_t channels, double eps)
    : groups_(groups), eps_(eps) {
  weight = register_parameter("weight", uninitialised({channels}));
  bias = register_parameter("bias", uninitialised({channels}));
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor &x, NormStats *stats) {
  if (!stats && x.scalar_type() == torch::kBFloat16 && x.is_cpu()) {
    // libtorch 1.13's bf16 group_norm accumulates in bf16 on channels-last input and is
    // wrong on large maps (an 8-group norm over 16x64x64 is off by 2 of a unit range).
    return group_norm_bf16(x, groups_, weight, bias, eps_);
  }
  if (!stats) return torch::group_norm(x, groups_, weight, bias, eps_);
  const auto sizes = x.sizes();
  // Statistics in fp32 whatever the activations' type (bf16 loses them otherwise).
  auto grouped = x.contiguous().view({sizes[0], groups_, -1}).to(torch::kFloat32);
  torch::Tensor mean, var;
  if (stats->mode == NormStats::Mode::kRecord) {
    mean = grouped.mean(-1, true);
    var = grouped.var(-1, /*unbiased=*/false, true);
    stats->mean_var.emplace_back(mean, var);
  } else {
    if (stats->cursor >= stats->mean_var.size())
      throw std::runtime_error("NormStats: more GroupNorm calls than recorded");
    std::tie(mean, var) = stats->mean_var[stats->cursor++];
  }
  auto y = ((grouped - mean) * torch::rsqrt(var + eps_)).reshape(sizes);
  std::vector<int64_t> channel_shape(sizes.size(), 1);
  channel_shape[1] = sizes[1];
  return (y * weight.view(channel_shape) + bias.view(channel_shape)).to(x.scalar_type());
}

Conv2dImpl::Conv2dImpl(const Conv2dOptions &o) : options_(o) {
  weight =
      register_parameter("weight", uninitialised({o.out, o.in / o.groups, o.kernel, o.kernel}));
  if (o.bias) bias = register_parameter("bias", uninitialised({o.out}));
}

bool Conv2dImpl::pointwise() const {
  return options_.kernel == 1 && options_.stride == 1 && options_.padding == 0 &&
         options_.groups == 1;
}

void Conv2dImpl::pack(PackedType type) {
  torch::NoGradGuard no_grad;
  packed_ = std::make_shared<const PackedLinear>(weight.view({weight.size(0), weight.size(1)}),
                                                 bias, type);
  weight.set_data(torch::empty({0}, weight.options()));
}

void Conv2dImpl::pack_int8_convolution() {
  torch::NoGradGuard no_grad;
  if (options_.groups != 1) throw std::logic_error("Conv2d: int8 packing of a grouped convolution");
  packed_conv_ =
      std::make_shared<const PackedConv2d>(weight, bias, options_.stride, options_.padding);
  weight.set_data(torch::empty({0}, weight.options()));
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor &x) {
  if (packed_conv_) return packed_conv_->forward(x);
  if (packed_)
    return packed_->forward(x.permute({0, 2, 3, 1})).to(x.scalar_type()).permute({0, 3, 1, 2});
  // A pointwise convolution is a matrix product over channels; libtorch sends some of those
  // to its slow im2col path, so they go through the Linear backend instead.
  if (pointwise() && fp32_product_) {
    auto w = weight.view({weight.size(0), weight.size(1)});
    return linear_product(x.permute({0, 2, 3, 1}), w, bias, fp32_product_.get())
        .permute({0, 3, 1, 2});
  }
  return torch::conv2d(x, weight, bias, options_.stride, options_.padding, 1, options_.groups);
}

ConvTranspose2dImpl::ConvTranspose2dImpl(const Conv2dOptions &o) : options_(o) {
  weight =
      register_parameter("weight", uninitialised({o.in, o.out / o.groups, o.kernel, o.kernel}));
  if (o.bias) bias = register_parameter("bias", uninitialised({o.out}));
}

torch::Tensor ConvTranspose2dImpl::forward(const torch::Tensor &x) {
  return torch::conv_transpose2d(x, weight, bias, options_.stride, options_.padding, 0,
                                 options_.groups);
}

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim) {
  weight = register_parameter("weight", uninitialised({count, dim}));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor &ids) {
  // A table stored in bf16 (the fast precisions) gives fp32 vectors like an fp32 one.
  auto out = torch::embedding(weight, ids);
  return weight.scalar_type() == torch::kBFloat16 ? out.to(torch::kFloat32) : out;
}

void set_matmul_backend(torch::nn::Module &root, MatmulBackend backend) {
  for (auto &m : root.modules(/*include_self=*/true)) {
    if (auto *linear = dynamic_cast<LinearImpl *>(m.get())) linear->set_backend(backend);
    if (auto *conv = dynamic_cast<Conv2dImpl *>(m.get())) conv->set_backend(backend);
    if (auto *attention = dynamic_cast<AttentionImpl *>(m.get())) attention->set_backend(backend);
  }
}

void use_bfloat16_matmuls(torch::nn::Module &root) {
  for (auto &m : root.modules(true)) {
    if (auto *linear = dynamic_cast<LinearImpl *>(m.get())) linear->use_bfloat16();
    if (auto *attention = dynamic_cast<AttentionImpl *>(m.get()))
      attention->set_bfloat16_products(true);
  }
}

void pack_linears(torch::nn::Module &root,
                  const std::function<PackedType(const std::string &name)> &choose,
                  const std::function<bool(const std::string &name)> &fuse_self) {
  // Names are relative to `root`, which is itself "" (it may be a single layer).
  if (fuse_self)
    for (const auto &item : root.named_modules("", /*include_self=*/true))
      if (auto *attention = dynamic_cast<AttentionImpl *>(item.value().get());
          attention && !attention->to_q->released() && !attention->to_q->packed() &&
          fuse_self(item.key()))
        attention->fuse_self_projections(choose(item.key() + ".to_q"));
  for (const auto &item : root.named_modules("", /*include_self=*/true)) {
    if (auto *linear = dynamic_cast<LinearImpl *>(item.value().get());
        linear && !linear->released() && !linear->packed())
      linear->pack(choose(item.key()));
    if (auto *conv = dynamic_cast<Conv2dImpl *>(item.value().get());
        conv && conv->pointwise() && !conv->packed())
      conv->pack(choose(item.key()));
    if (auto *attention = dynamic_cast<AttentionImpl *>(item.value().get()))
      attention->set_bfloat16_products(true);
  }
}

void init_parameters(torch::nn::Module &root, double std, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto &m : root.modules(true)) {
    const bool is_norm = dynamic_cast<RMSNormImpl *>(m.get()) ||
                         dynamic_cast<LayerNormImpl *>(m.get()) ||
                         dynamic_cast<GroupNormImpl *>(m.get());
    for (auto &p : m->named_parameters(/*recurse=*/false)) {
      auto &t = p.value();
      if (p.key() == "bias") {
        t.zero_();
      } else if (is_norm) {
        t.fill_(1.0);
      } else if (p.key() == "weight") {
        t.normal_(0.0, std, gen);
      } else {
        t.zero_();  // e.g. GlobalResponseNorm gamma/beta start at zero, as in diffusers
      }
    }
  }
}

}  // namespace amused::nn
