#include "nn/attention.h"

#include <torch/torch.h>

#include <cmath>

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
  return {split_heads(to_k(context)), split_heads(to_v(context))};
}

torch::Tensor AttentionImpl::attend(const torch::Tensor &x, const KeyValue &kv) {
  const auto b = x.size(0), s = x.size(1);
  torch::Tensor q, out;
  {
    ProfileScope scope(profile_.projections);
    q = split_heads(to_q(x));
  }
  {
    ProfileScope scope(profile_.products);
    auto scores = attention_matmul(q, kv.key.transpose(-1, -2), bf16_products_) * scale_;
    auto probs = scores.softmax(-1);
    out = attention_matmul(probs, kv.value, bf16_products_).transpose(1, 2).reshape({b, s, -1});
  }
  ProfileScope scope(profile_.output);
  return to_out[0]->as<LinearImpl>()->forward(out);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor &x, const torch::Tensor &context) {
  return attend(x, project_key_value(context.defined() ? context : x));
}

}  // namespace amused::nn
