#include "nn/fp32_product.h"

#include <torch/torch.h>

#include "nn/onednn_engine.h"

namespace amused::nn {

namespace {

using dt = dnnl_type;
using tag = dnnl_layout;

// x [rows, in] . w^T with w [out, in] row-major, read in place as [in, out] (layout ba).
dnnl::matmul::primitive_desc make_desc(int64_t rows, int64_t in, int64_t out, bool bias) {
  const dnnl::memory::desc src({rows, in}, dt::f32, tag::ab);
  const dnnl::memory::desc weights({in, out}, dt::f32, tag::ba);
  const dnnl::memory::desc dst({rows, out}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto desc = bias ? dnnl::matmul::desc(src, weights, {{1, out}, dt::f32, tag::ab}, dst)
                         : dnnl::matmul::desc(src, weights, dst);
  return {desc, attr, onednn_cpu_engine()};
}

}  // namespace

struct Fp32Product::Primitive {
  dnnl::matmul::primitive_desc desc;
  dnnl::matmul matmul;
};

Fp32Product::Fp32Product() = default;
Fp32Product::~Fp32Product() = default;

const Fp32Product::Primitive *Fp32Product::primitive_for(int64_t rows, int64_t in, int64_t out,
                                                         bool bias) const {
  return by_shape_
      .get({rows, in, out, bias ? 1 : 0},
           [&] {
             std::unique_ptr<Primitive> primitive;
             auto pd = make_desc(rows, in, out, bias);
             if (!is_reference_kernel(pd.impl_info_str()))
               primitive = std::make_unique<Primitive>(Primitive{pd, dnnl::matmul(pd)});
             return primitive;
           })
      .get();
}

torch::Tensor Fp32Product::operator()(const torch::Tensor &x, const torch::Tensor &w,
                                      const torch::Tensor &b) const {
  const int64_t rows = x.size(0), in = x.size(1), out = w.size(0);
  const Primitive *primitive = primitive_for(rows, in, out, b.defined());
  if (!primitive) return {};
  auto y = torch::empty({rows, out}, torch::kFloat32);
  const auto &pd = primitive->desc;
  const auto &engine = onednn_cpu_engine();
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, dnnl::memory(pd.src_desc(), engine, x.data_ptr())},
      {DNNL_ARG_WEIGHTS, dnnl::memory(pd.weights_desc(), engine, w.data_ptr())},
      {DNNL_ARG_DST, dnnl::memory(pd.dst_desc(), engine, y.data_ptr())}};
  if (b.defined())
    args[DNNL_ARG_BIAS] = dnnl::memory({{1, out}, dt::f32, tag::ab}, engine, b.data_ptr());
  execute_on_cpu(primitive->matmul, pd.scratchpad_desc(), std::move(args));
  return y;
}

}  // namespace amused::nn
