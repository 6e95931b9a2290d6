#include "nn/packed_linear.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "amused.h"
#include "nn/onednn_engine.h"
#include "nn/primitive_cache.h"
#include "nn/vector_clones.h"

namespace amused::nn {

namespace {

using dt = dnnl_type;
using tag = dnnl_layout;

// The row count the weights are packed for; other counts reuse the packing (oneDNN's
// blocked weight layouts depend on K and N, not on M).
constexpr int64_t kPackingRows = 512;

dt activation_type(PackedType type) { return type == PackedType::kInt8 ? dt::u8 : dt::bf16; }
dt weight_type(PackedType type) { return type == PackedType::kInt8 ? dt::s8 : dt::bf16; }

}  // namespace

// The per-row loops around the int8 product; at::parallel_for splits the rows.
namespace {

AMUSED_VECTOR_CLONES
void quantize_row_range(const float *x, int64_t begin, int64_t end, int64_t cols, uint8_t *q,
                        float *scales) {
  for (int64_t r = begin; r < end; ++r) {
    const float *row = x + r * cols;
    // The largest magnitude, as the bits of |x|: for non-negative floats the integer order
    // is the numeric one, and an integer maximum vectorizes without fast-math.
    const auto *bits = reinterpret_cast<const uint32_t *>(row);
    uint32_t peak_bits = 0;
    for (int64_t c = 0; c < cols; ++c) peak_bits = std::max(peak_bits, bits[c] & 0x7fffffffu);
    float peak;
    std::memcpy(&peak, &peak_bits, sizeof peak);
    const float scale = peak > 0.0f ? peak / 127.0f : 1.0f;
    const float inverse = 1.0f / scale;
    uint8_t *out = q + r * cols;
    // x / s lies in [-127, 127]; + 128.5 then truncation rounds half up to [1, 255].
    for (int64_t c = 0; c < cols; ++c)
      out[c] = static_cast<uint8_t>(static_cast<int>(row[c] * inverse + 128.5f));
    scales[r] = scale;
  }
}

}  // namespace

void quantize_row_u8(const float *x, int64_t cols, uint8_t *q, float *scale) {
  quantize_row_range(x, 0, 1, cols, q, scale);
}

void quantize_rows_u8(const float *x, int64_t rows, int64_t cols, uint8_t *q, float *scales) {
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    quantize_row_range(x, begin, end, cols, q, scales);
  });
}

struct PackedLinear::Impl {
  PackedType type;
  int64_t in = 0, out = 0;
  dnnl::memory::desc packed_desc;
  torch::Tensor packed;         // bytes of the packed weights
  torch::Tensor bias;           // fp32 [N] or undefined
  torch::Tensor weight_scales;  // int8: fp32 [N]

  PrimitiveCache<int64_t, std::pair<dnnl::matmul::primitive_desc, dnnl::matmul>> by_rows;

  // Products are described as one batch of a [rows, K] x [K, N] matrix product: in three
  // dimensions, oneDNN 2.6 takes a [1, rows, 1] operand of a post-op as one value per row
  // (the tokens' scales), which its two-dimensional matmul does not accept.
  dnnl::matmul::primitive_desc make_desc(int64_t rows, const dnnl::memory::desc &weights) const {
    const dnnl::memory::desc src({1, rows, in}, activation_type(type), tag::abc);
    const dnnl::memory::desc dst({1, rows, out}, dt::f32, tag::abc);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (type == PackedType::kInt8) {
      // The weights' scales as constants of the primitive: oneDNN 2.6 then picks its brgemm
      // kernel, 10-20% faster on AVX-512 VNNI than the gemm it runs with run-time scales.
      const float *w = weight_scales.data_ptr<float>();
      attr.set_output_scales(1 << 2, std::vector<float>(w, w + out));
      attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
      // Then each token's scale, and the bias, as the kernel stores its output.
      dnnl::post_ops post;
      post.append_binary(dnnl::algorithm::binary_mul, row_scales_desc(rows));
      if (bias.defined()) post.append_binary(dnnl::algorithm::binary_add, bias_desc());
      attr.set_post_ops(post);
    }
    if (bias.defined() && type == PackedType::kBFloat16)
      return {dnnl::matmul::desc(src, weights, bias_desc(), dst), attr, onednn_cpu_engine()};
    return {dnnl::matmul::desc(src, weights, dst), attr, onednn_cpu_engine()};
  }

  static dnnl::memory::desc row_scales_desc(int64_t rows) {
    return {{1, rows, 1}, dt::f32, tag::abc};
  }
  dnnl::memory::desc bias_desc() const { return {{1, 1, out}, dt::f32, tag::abc}; }

  const std::pair<dnnl::matmul::primitive_desc, dnnl::matmul> &primitive(int64_t rows) const {
    return by_rows.get(rows, [&] {
      auto pd = make_desc(rows, packed_desc);
      require_optimized_kernel(pd.impl_info_str(), "a " + std::to_string(rows) + "x" +
                                                       std::to_string(in) + "x" +
                                                       std::to_string(out) + " matrix product");
      return std::make_pair(pd, dnnl::matmul(pd));
    });
  }
};

QuantizedWeights quantize_weights_s8(const torch::Tensor &weight) {
  torch::NoGradGuard no_grad;
  const auto w = weight.to(torch::kFloat32);
  const auto peak = w.flatten(1).abs().amax(1).clamp_min(1e-12f);
  auto scales = (peak / 127.0f).contiguous();
  std::vector<int64_t> per_row(static_cast<size_t>(w.dim()), 1);
  per_row[0] = -1;
  auto values = (w / scales.view(per_row)).round().clamp(-127, 127).to(torch::kInt8).contiguous();
  return {values, scales};
}

PackedLinear::PackedLinear(const torch::Tensor &weight, const torch::Tensor &bias, PackedType type)
    : impl_(std::make_unique<Impl>()) {
  torch::NoGradGuard no_grad;
  if (weight.dim() != 2 || !weight.is_cpu())
    throw Error("PackedLinear: expected a 2-D CPU weight, got " + std::to_string(weight.dim()) +
                "-D on " + weight.device().str());
  Impl &m = *impl_;
  m.type = type;
  m.out = weight.size(0);
  m.in = weight.size(1);
  // A copy, not the module's own tensor, which may be released or converted later.
  if (bias.defined()) m.bias = bias.to(torch::kFloat32).clone().contiguous();

  // The weights as [K, N] in a plain layout (a view of [N, K] row-major: tag ba).
  torch::Tensor plain;
  if (type == PackedType::kInt8) {
    auto q = quantize_weights_s8(weight);
    m.weight_scales = q.scales;
    plain = q.values;
  } else {
    plain = weight.to(torch::kBFloat16);
  }
  plain = plain.contiguous();
  const dnnl::memory::desc plain_desc({1, m.in, m.out}, weight_type(type), tag::acb);
  const dnnl::memory::desc any({1, m.in, m.out}, weight_type(type), tag::any);
  m.packed_desc = m.make_desc(kPackingRows, any).weights_desc();
  m.packed = torch::empty({static_cast<int64_t>(m.packed_desc.get_size())}, torch::kUInt8);
  reorder_on_cpu(dnnl::memory(plain_desc, onednn_cpu_engine(), plain.data_ptr()),
                 dnnl::memory(m.packed_desc, onednn_cpu_engine(), m.packed.data_ptr()));
}

PackedLinear::~PackedLinear() = default;

PackedType PackedLinear::type() const { return impl_->type; }
int64_t PackedLinear::in_features() const { return impl_->in; }
int64_t PackedLinear::out_features() const { return impl_->out; }
size_t PackedLinear::weight_bytes() const { return impl_->packed_desc.get_size(); }

QuantizedRows empty_quantized_rows(at::IntArrayRef sizes) {
  auto row_sizes = sizes.vec();
  row_sizes.pop_back();
  return {torch::empty(sizes, torch::kUInt8), torch::empty(row_sizes, torch::kFloat32)};
}

QuantizedRows quantize_rows(const torch::Tensor &x) {
  const int64_t cols = x.size(-1), rows = cols == 0 ? 0 : x.numel() / cols;
  auto xf = x.to(torch::kFloat32).contiguous();
  QuantizedRows q = empty_quantized_rows(x.sizes());
  quantize_rows_u8(xf.data_ptr<float>(), rows, cols, q.values.data_ptr<uint8_t>(),
                   q.scales.data_ptr<float>());
  return q;
}

torch::Tensor PackedLinear::forward(const torch::Tensor &x) const {
  if (impl_->type == PackedType::kInt8) return forward(quantize_rows(x));
  check_input(x.size(-1));
  const int64_t rows = x.numel() / impl_->in;
  return run(x.reshape({rows, impl_->in}).to(torch::kBFloat16).contiguous(), torch::Tensor(),
             x.sizes().vec());
}

torch::Tensor PackedLinear::forward(const QuantizedRows &x) const {
  if (impl_->type != PackedType::kInt8)
    throw std::logic_error("PackedLinear: quantized rows given to a bf16 product");
  check_input(x.values.size(-1));
  const int64_t rows = x.values.numel() / impl_->in;
  return run(x.values.reshape({rows, impl_->in}), x.scales.reshape({rows}), x.values.sizes().vec());
}

void PackedLinear::check_input(int64_t features) const {
  if (features != impl_->in)
    throw Error("PackedLinear: input has " + std::to_string(features) + " features, expected " +
                std::to_string(impl_->in));
}

torch::Tensor PackedLinear::run(const torch::Tensor &src, const torch::Tensor &row_scales,
                                std::vector<int64_t> sizes) const {
  Impl &m = *impl_;
  const int64_t rows = src.size(0);
  sizes.back() = m.out;
  auto y = torch::empty({rows, m.out}, torch::kFloat32);
  if (rows == 0) return y.view(sizes);
  const auto &[pd, matmul] = m.primitive(rows);

  std::unordered_map<int, dnnl::memory> args;
  const auto &engine = onednn_cpu_engine();
  args[DNNL_ARG_SRC] = dnnl::memory(pd.src_desc(), engine, src.data_ptr());
  args[DNNL_ARG_WEIGHTS] = dnnl::memory(m.packed_desc, engine, m.packed.data_ptr());
  args[DNNL_ARG_DST] = dnnl::memory(pd.dst_desc(), engine, y.data_ptr());
  int32_t zero_point = 128;
  if (m.type == PackedType::kInt8) {
    args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] =
        dnnl::memory({{1}, dt::s32, tag::a}, engine, &zero_point);
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
        dnnl::memory(Impl::row_scales_desc(rows), engine, row_scales.data_ptr());
    if (m.bias.defined())
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1] =
          dnnl::memory(m.bias_desc(), engine, m.bias.data_ptr());
  } else if (m.bias.defined()) {
    args[DNNL_ARG_BIAS] = dnnl::memory(m.bias_desc(), engine, m.bias.data_ptr());
  }
  execute_on_cpu(matmul, pd.scratchpad_desc(), std::move(args));
  return y.view(sizes);
}

}  // namespace amused::nn
