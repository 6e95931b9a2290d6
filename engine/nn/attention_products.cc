#include "nn/attention_products.h"

#include <torch/torch.h>

#include <stdexcept>
#include <unordered_map>

#include "nn/onednn_engine.h"
#include "nn/softmax_bf16.h"

namespace amused::nn {

using dt = dnnl_type;
using tag = dnnl_layout;

struct AttentionProducts::Products {
  dnnl::matmul::primitive_desc scores_desc, values_desc;
  dnnl::matmul scores, values;
};

AttentionProducts::AttentionProducts(float scale, torch::ScalarType type)
    : scale_(scale), type_(type) {
  if (type != torch::kBFloat16 && type != torch::kFloat32)
    throw std::logic_error("AttentionProducts: bf16 or fp32 only");
}
AttentionProducts::~AttentionProducts() = default;

const AttentionProducts::Products *AttentionProducts::products_for(int64_t b, int64_t h, int64_t s,
                                                                   int64_t t, int64_t d) const {
  return by_shape_.get({b, h, s, t, d}, [&] { return make(b, h, s, t, d); }).get();
}

std::unique_ptr<AttentionProducts::Products> AttentionProducts::make(int64_t b, int64_t h,
                                                                     int64_t s, int64_t t,
                                                                     int64_t d) const {
  const auto &engine = onednn_cpu_engine();
  const dt type = type_ == torch::kBFloat16 ? dt::bf16 : dt::f32;
  // scores [B, H, S, T] = q [B, H, S, D] x k^T, k^T read in place from k [B, H, T, D].
  dnnl::primitive_attr scaled;
  scaled.set_output_scales(0, {scale_});
  scaled.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::memory::desc queries({b, h, s, d}, type, tag::abcd);
  const dnnl::memory::desc keys_transposed({b, h, d, t}, type, tag::abdc);
  const dnnl::memory::desc scores({b, h, s, t}, type, tag::abcd);
  dnnl::matmul::primitive_desc scores_pd(dnnl::matmul::desc(queries, keys_transposed, scores),
                                         scaled, engine);
  // out [B, S, H, D] = probabilities [B, H, S, T] x v [B, H, T, D], written as [B, H, S, D]
  // with the strides of [B, S, H, D] (layout acbd).
  dnnl::primitive_attr plain;
  plain.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::memory::desc values({b, h, t, d}, type, tag::abcd);
  const dnnl::memory::desc merged({b, h, s, d}, type, tag::acbd);
  dnnl::matmul::primitive_desc values_pd(dnnl::matmul::desc(scores, values, merged), plain, engine);

  if (is_reference_kernel(scores_pd.impl_info_str()) ||
      is_reference_kernel(values_pd.impl_info_str()))
    return nullptr;
  return std::make_unique<Products>(
      Products{scores_pd, values_pd, dnnl::matmul(scores_pd), dnnl::matmul(values_pd)});
}

torch::Tensor AttentionProducts::operator()(const torch::Tensor &q, const torch::Tensor &k,
                                            const torch::Tensor &v) const {
  for (const auto *x : {&q, &k, &v})
    if (!x->is_cpu() || x->scalar_type() != type_ || x->dim() != 4) return {};
  const int64_t b = q.size(0), h = q.size(1), s = q.size(2), d = q.size(3), t = k.size(2);
  if (k.size(0) != b || k.size(1) != h || k.size(3) != d || !v.sizes().equals(k.sizes())) return {};
  const Products *products = products_for(b, h, s, t, d);
  if (!products) return {};

  const auto queries = q.contiguous(), keys = k.contiguous(), values = v.contiguous();
  auto scores = torch::empty({b, h, s, t}, type_);
  auto out = torch::empty({b, s, h * d}, type_);
  auto run = [](const dnnl::matmul::primitive_desc &pd, const dnnl::matmul &matmul, void *src,
                void *weights, void *dst) {
    const auto &engine = onednn_cpu_engine();
    execute_on_cpu(matmul, pd.scratchpad_desc(),
                   {{DNNL_ARG_SRC, dnnl::memory(pd.src_desc(), engine, src)},
                    {DNNL_ARG_WEIGHTS, dnnl::memory(pd.weights_desc(), engine, weights)},
                    {DNNL_ARG_DST, dnnl::memory(pd.dst_desc(), engine, dst)}});
  };
  run(products->scores_desc, products->scores, queries.data_ptr(), keys.data_ptr(),
      scores.data_ptr());
  // fp32: torch's own softmax, the reference's.
  scores = type_ == torch::kBFloat16 ? softmax_bf16_(scores) : torch::softmax(scores, -1);
  run(products->values_desc, products->values, scores.data_ptr(), values.data_ptr(),
      out.data_ptr());
  return out;
}

}  // namespace amused::nn
