#include "nn/attention.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>

#include "nn/attention_products.h"
#include "nn/softmax_bf16.h"
#include "nn/vector_clones.h"
#include "nn/vector_math.h"
#include "util/profiler.h"

namespace amused::nn {

namespace {

AMUSED_VECTOR_CLONES
void convert_to_bf16(const float *in, uint16_t *out, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bf16(in[i]);
}

// The fused q/k/v product's fp32 output [B, S, 3 * heads * head_dim] as q, k and v in bf16,
// each [B, heads, S, head_dim] and contiguous: one pass where converting the three strided
// views took three, in the layout the batched products read without copying. Rounds as
// torch's conversion does, so the products see the same values.
std::array<torch::Tensor, 3> split_heads_bf16(const torch::Tensor &qkv, int64_t heads,
                                              int64_t head_dim) {
  const int64_t b = qkv.size(0), s = qkv.size(1), inner = heads * head_dim;
  auto out = torch::empty({3, b, heads, s, head_dim}, torch::kBFloat16);
  const float *src = qkv.data_ptr<float>();
  auto *dst = reinterpret_cast<uint16_t *>(out.data_ptr<at::BFloat16>());
  const int64_t part_size = b * heads * s * head_dim;
  at::parallel_for(0, b * s, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t image = row / s, position = row % s;
      const float *in = src + row * 3 * inner;
      for (int64_t part = 0; part < 3; ++part)
        for (int64_t h = 0; h < heads; ++h)
          convert_to_bf16(in + part * inner + h * head_dim,
                          dst + part * part_size + ((image * heads + h) * s + position) * head_dim,
                          head_dim);
    }
  });
  return {out[0], out[1], out[2]};
}

}  // namespace

AttentionImpl::AttentionImpl(const AttentionOptions &o) : options_(o) {
  if (options_.context_dim == 0) options_.context_dim = o.query_dim;
  const int64_t inner = o.heads * o.head_dim;
  scale_ = 1.0 / std::sqrt(static_cast<double>(o.head_dim));
  to_q = register_module("to_q", Linear(o.query_dim, inner, o.bias));
  to_k = register_module("to_k", Linear(options_.context_dim, inner, o.bias));
  to_v = register_module("to_v", Linear(options_.context_dim, inner, o.bias));
  to_out = register_module("to_out", torch::nn::ModuleList());
  to_out->push_back(Linear(inner, o.query_dim, o.out_bias));  // key "to_out.0"
}

void AttentionImpl::set_bfloat16_products(bool on) {
  bf16_products_ = on;
  if (on && !products_)
    products_ = std::make_shared<const AttentionProducts>(scale_, torch::kBFloat16);
}

void AttentionImpl::set_backend(MatmulBackend backend) {
  fp32_products_ = backend == MatmulBackend::kOneDnn
                       ? std::make_shared<const AttentionProducts>(scale_, torch::kFloat32)
                       : nullptr;
}

torch::Tensor AttentionImpl::split_heads(const torch::Tensor &t) const {
  const auto b = t.size(0), s = t.size(1);
  return t.view({b, s, options_.heads, options_.head_dim}).transpose(1, 2);
}

KeyValue AttentionImpl::project_key_value(const torch::Tensor &context) {
  ProfileScope scope(profile_.projections);
  return for_products({split_heads(to_k(context)), split_heads(to_v(context))});
}

KeyValue AttentionImpl::for_products(KeyValue kv) const {
  // Kept in the products' type and contiguous: cached keys/values (text, anchor frame)
  // convert once.
  if (bf16_products_ && kv.key.is_cpu())
    return {kv.key.to(torch::kBFloat16).contiguous(), kv.value.to(torch::kBFloat16).contiguous()};
  return kv;
}

torch::Tensor AttentionImpl::attend(const torch::Tensor &x, const KeyValue &kv) {
  torch::Tensor q;
  {
    ProfileScope scope(profile_.projections);
    q = split_heads(to_q(x));
  }
  return attend_queries(q, kv);
}

torch::Tensor AttentionImpl::attend_queries(const torch::Tensor &q, const KeyValue &kv) {
  const auto b = q.size(0), s = q.size(2);
  torch::Tensor out;
  {
    ProfileScope scope(profile_.products);
    if (bf16_products_ && q.is_cpu()) {
      // bf16 from end to end through oneDNN (nn/attention_products.h); softmax accumulates
      // in fp32 inside. Where oneDNN has no kernel, torch's products with the scale folded
      // into the (smaller) queries and the heads merged in bf16.
      const auto key = kv.key.to(torch::kBFloat16), value = kv.value.to(torch::kBFloat16);
      out = (*products_)(q.to(torch::kBFloat16), key, value);
      if (!out.defined()) {
        auto queries =
            q.scalar_type() == torch::kBFloat16 ? q * scale_ : q.to(torch::kBFloat16).mul_(scale_);
        auto scores = torch::matmul(queries, key.transpose(-1, -2));
        out = torch::matmul(softmax_bf16_(scores.contiguous()), value)
                  .transpose(1, 2)
                  .reshape({b, s, -1});
      }
      // The residual stream is fp32 on the CPU (q is bf16 when split_heads_bf16 made it); an
      // int8 output product quantizes the bf16 rows as they are, the same values.
      const PackedLinear *next = to_out[0]->as<LinearImpl>()->packed_product();
      if (!next || next->type() != PackedType::kInt8) out = out.to(torch::kFloat32);
    } else {
      if (fp32_products_ && !torch::GradMode::is_enabled())
        out = (*fp32_products_)(q, kv.key, kv.value);
      if (!out.defined()) {
        auto scores = attention_matmul(q, kv.key.transpose(-1, -2), bf16_products_) * scale_;
        auto probs = scores.softmax(-1);
        out = attention_matmul(probs, kv.value, bf16_products_).transpose(1, 2).reshape({b, s, -1});
      }
    }
  }
  ProfileScope scope(profile_.output);
  return to_out[0]->as<LinearImpl>()->forward(out);
}

std::pair<torch::Tensor, KeyValue> AttentionImpl::project_self(const torch::Tensor &x) {
  if (!fused_qkv_) {
    torch::Tensor q;
    {
      ProfileScope scope(profile_.projections);
      q = split_heads(to_q(x));
    }
    return {q, project_key_value(x)};
  }
  ProfileScope scope(profile_.projections);
  auto fused = fused_qkv_->forward(x);
  if (bf16_products_ && fused.is_cpu() && fused.dim() == 3 &&
      fused.scalar_type() == torch::kFloat32 && fused.is_contiguous()) {
    auto [q, k, v] = split_heads_bf16(fused, options_.heads, options_.head_dim);
    return {q, {k, v}};
  }
  auto qkv = fused.chunk(3, -1);
  return {split_heads(qkv[0]), for_products({split_heads(qkv[1]), split_heads(qkv[2])})};
}

void AttentionImpl::fuse_self_projections(PackedType type) {
  torch::NoGradGuard no_grad;
  auto weight = torch::cat({to_q->weight, to_k->weight, to_v->weight});
  torch::Tensor bias;
  if (to_q->bias.defined()) bias = torch::cat({to_q->bias, to_k->bias, to_v->bias});
  fused_qkv_ = std::make_shared<const PackedLinear>(weight, bias, type);
  for (auto *linear : {to_q.get(), to_k.get(), to_v.get()}) linear->release_weights();
}

torch::Tensor AttentionImpl::forward(const torch::Tensor &x, const torch::Tensor &context) {
  return attend(x, project_key_value(context.defined() ? context : x));
}

}  // namespace amused::nn
