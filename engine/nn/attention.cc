#include "nn/attention.h"

#include <torch/torch.h>

#include <cmath>

#include "nn/softmax_bf16.h"
#include "util/profiler.h"

namespace amused::nn {

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

torch::Tensor AttentionImpl::split_heads(const torch::Tensor &t) const {
  const auto b = t.size(0), s = t.size(1);
  return t.view({b, s, options_.heads, options_.head_dim}).transpose(1, 2);
}

KeyValue AttentionImpl::project_key_value(const torch::Tensor &context) {
  ProfileScope scope(profile_.projections);
  return for_products({split_heads(to_k(context)), split_heads(to_v(context))});
}

KeyValue AttentionImpl::for_products(KeyValue kv) const {
  // Kept in the products' type: cached keys/values (text, anchor frame) convert once.
  if (bf16_products_ && kv.key.is_cpu())
    return {kv.key.to(torch::kBFloat16), kv.value.to(torch::kBFloat16)};
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
      // bf16 from end to end, the scale folded into the (smaller) queries after their
      // conversion; softmax accumulates in fp32 inside; the heads are merged in bf16 (half
      // the bytes to copy) and converted once, contiguous.
      auto queries =
          q.scalar_type() == torch::kBFloat16 ? q * scale_ : q.to(torch::kBFloat16).mul_(scale_);
      auto scores = torch::matmul(queries, kv.key.to(torch::kBFloat16).transpose(-1, -2));
      out = torch::matmul(softmax_bf16_(scores.contiguous()), kv.value.to(torch::kBFloat16))
                .transpose(1, 2)
                .reshape({b, s, -1})
                .to(q.scalar_type());
    } else {
      auto scores = attention_matmul(q, kv.key.transpose(-1, -2), bf16_products_) * scale_;
      auto probs = scores.softmax(-1);
      out = attention_matmul(probs, kv.value, bf16_products_).transpose(1, 2).reshape({b, s, -1});
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
  auto qkv = fused_qkv_->forward(x).chunk(3, -1);
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
