#include "nn/packed_conv.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "amused.h"
#include "nn/onednn_engine.h"
#include "nn/packed_linear.h"
#include "nn/vector_clones.h"
#include "nn/vector_math.h"

namespace amused::nn {

namespace {

using dt = dnnl_type;
using tag = dnnl_layout;

// bf16 bits as a signed integer of the same order: negative values have their magnitude
// bits flipped. Integer minima and maxima vectorize without fast-math.
AMUSED_ALWAYS_INLINE int16_t ordered(uint16_t bits) {
  const auto v = static_cast<int16_t>(bits);
  return static_cast<int16_t>(v ^ ((v >> 15) & 0x7fff));
}

AMUSED_ALWAYS_INLINE uint16_t unordered(int16_t key) {
  return static_cast<uint16_t>(key ^ ((key >> 15) & 0x7fff));
}

AMUSED_VECTOR_CLONES
void range_keys(const uint16_t *x, int64_t begin, int64_t end, int16_t &low, int16_t &high) {
  int16_t lo = low, hi = high;
  for (int64_t i = begin; i < end; ++i) {
    const int16_t key = ordered(x[i]);
    lo = std::min(lo, key);
    hi = std::max(hi, key);
  }
  low = lo;
  high = hi;
}

AMUSED_VECTOR_CLONES
void quantize_range(const uint16_t *x, int64_t begin, int64_t end, float inverse, float zero,
                    uint8_t *q) {
  for (int64_t i = begin; i < end; ++i) {
    // x / s + z lies in [0, 255] (the range includes 0); + 0.5 and truncation round half up.
    const float v = bf16_to_float(x[i]) * inverse + zero + 0.5f;
    q[i] = static_cast<uint8_t>(static_cast<int>(std::min(std::max(v, 0.0f), 255.0f)));
  }
}

constexpr int64_t kGrain = 1 << 16;

}  // namespace

AsymmetricScale quantize_tensor_u8(const uint16_t *bf16, int64_t n, uint8_t *q) {
  std::mutex mutex;
  int16_t low = 0, high = 0;  // the range always holds 0, so that 0 has an exact code
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    int16_t lo = 0, hi = 0;
    range_keys(bf16, begin, end, lo, hi);
    std::lock_guard<std::mutex> lock(mutex);
    low = std::min(low, lo);
    high = std::max(high, hi);
  });
  const float smallest = bf16_to_float(unordered(low)), largest = bf16_to_float(unordered(high));
  if (!std::isfinite(smallest) || !std::isfinite(largest))
    throw Error("int8 convolution: the input holds NaN or infinite values");
  AsymmetricScale a;
  a.scale = largest > smallest ? (largest - smallest) / 255.0f : 1.0f;
  a.zero_point = static_cast<int32_t>(std::lround(-smallest / a.scale));
  const float inverse = 1.0f / a.scale, zero = static_cast<float>(a.zero_point);
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    quantize_range(bf16, begin, end, inverse, zero, q);
  });
  return a;
}

struct PackedConv2d::Impl {
  int64_t in = 0, out = 0, kernel = 0, stride = 1, padding = 0;
  torch::Tensor plain;          // s8 [O, I, K, K], the quantized weights
  torch::Tensor weight_scales;  // fp32 [O]
  torch::Tensor bias;           // fp32 [O] or undefined

  struct Entry {
    dnnl::convolution_forward::primitive_desc pd;
    dnnl::convolution_forward primitive;
    torch::Tensor weights;  // bytes in pd.weights_desc()
  };
  std::mutex mutex;
  std::map<std::tuple<int64_t, int64_t, int64_t>, Entry> by_shape;
  // The weights in each layout some primitive asked for. Video decodes regions of many
  // sizes; their primitives mostly share a layout, so they share one copy of the weights.
  std::vector<std::pair<dnnl::memory::desc, torch::Tensor>> layouts;

  torch::Tensor weights_in(const dnnl::memory::desc &layout) {
    for (const auto &[desc, bytes] : layouts)
      if (desc == layout) return bytes;
    auto packed = torch::empty({static_cast<int64_t>(layout.get_size())}, torch::kUInt8);
    dnnl::memory source({{out, in, kernel, kernel}, dt::s8, tag::oihw}, onednn_cpu_engine(),
                        plain.data_ptr());
    reorder_on_cpu(source, dnnl::memory(layout, onednn_cpu_engine(), packed.data_ptr()));
    layouts.emplace_back(layout, packed);
    return packed;
  }

  static dnnl::memory::desc scalar_desc() { return {{1, 1, 1, 1}, dt::f32, tag::nchw}; }
  dnnl::memory::desc bias_desc() const { return {{1, out, 1, 1}, dt::f32, tag::nchw}; }

  const Entry &entry(int64_t n, int64_t h, int64_t w) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_tuple(n, h, w);
    if (auto it = by_shape.find(key); it != by_shape.end()) return it->second;
    const int64_t oh = (h + 2 * padding - kernel) / stride + 1,
                  ow = (w + 2 * padding - kernel) / stride + 1;
    const dnnl::memory::desc src({n, in, h, w}, dt::u8, tag::nhwc);
    const dnnl::memory::desc weights({out, in, kernel, kernel}, dt::s8, tag::any);
    const dnnl::memory::desc dst({n, out, oh, ow}, dt::bf16, tag::nhwc);
    // oneDNN 2.6's convolutions take no output scales given at run time: the weights' scales
    // are fixed at creation, and the input's scale of each call multiplies the result as a
    // post-op operand (then the bias is added, after all the scaling).
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const float *ws = weight_scales.data_ptr<float>();
    attr.set_output_scales(1 << 1, std::vector<float>(ws, ws + out));
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    dnnl::post_ops post;
    post.append_binary(dnnl::algorithm::binary_mul, scalar_desc());
    if (bias.defined()) post.append_binary(dnnl::algorithm::binary_add, bias_desc());
    attr.set_post_ops(post);
    const dnnl::memory::dims strides{stride, stride}, pad{padding, padding};
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                               dnnl::algorithm::convolution_direct, src, weights,
                                               dst, strides, pad, pad);
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = dnnl::convolution_forward::primitive_desc(desc, attr, onednn_cpu_engine());
    } catch (const dnnl::error &e) {
      throw Error("oneDNN has no int8 convolution of " + std::to_string(in) + " to " +
                  std::to_string(out) + " channels, " + std::to_string(kernel) + "x" +
                  std::to_string(kernel) + ", on a " + std::to_string(n) + "x" + std::to_string(h) +
                  "x" + std::to_string(w) + " map: " + e.what());
    }
    require_optimized_kernel(pd.impl_info_str(), "an int8 " + std::to_string(kernel) + "x" +
                                                     std::to_string(kernel) + " convolution of " +
                                                     std::to_string(in) + " to " +
                                                     std::to_string(out) + " channels");
    return by_shape
        .emplace(key, Entry{pd, dnnl::convolution_forward(pd), weights_in(pd.weights_desc())})
        .first->second;
  }
};

PackedConv2d::PackedConv2d(const torch::Tensor &weight, const torch::Tensor &bias, int64_t stride,
                           int64_t padding)
    : impl_(std::make_unique<Impl>()) {
  torch::NoGradGuard no_grad;
  if (weight.dim() != 4 || !weight.is_cpu() || weight.size(2) != weight.size(3))
    throw Error("PackedConv2d: expected a square [O, I, K, K] CPU weight, got " +
                std::to_string(weight.dim()) + "-D on " + weight.device().str());
  Impl &m = *impl_;
  m.out = weight.size(0);
  m.in = weight.size(1);
  m.kernel = weight.size(2);
  m.stride = stride;
  m.padding = padding;
  auto q = quantize_weights_s8(weight);
  m.plain = q.values;
  m.weight_scales = q.scales;
  // A copy: the module converts its own bias to bf16 in place after packing (set_data), and
  // the kernel reads this one as fp32.
  if (bias.defined()) m.bias = bias.to(torch::kFloat32).clone().contiguous();
}

PackedConv2d::~PackedConv2d() = default;

size_t PackedConv2d::weight_bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  size_t bytes = static_cast<size_t>(impl_->plain.numel());
  for (const auto &layout : impl_->layouts) bytes += static_cast<size_t>(layout.second.numel());
  return bytes;
}

torch::Tensor PackedConv2d::forward(const torch::Tensor &x) const {
  Impl &m = *impl_;
  if (x.dim() != 4 || x.size(1) != m.in)
    throw Error("PackedConv2d: input " + std::string(c10::str(x.sizes())) + ", expected [N, " +
                std::to_string(m.in) + ", H, W]");
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const auto input = x.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast);
  auto quantized = torch::empty({n, h, w, m.in}, torch::kUInt8);
  AsymmetricScale a;
  try {
    a = quantize_tensor_u8(reinterpret_cast<const uint16_t *>(input.data_ptr<at::BFloat16>()),
                           input.numel(), quantized.data_ptr<uint8_t>());
  } catch (const Error &e) {
    throw Error(std::string(e.what()) + " (" + std::to_string(m.in) + " to " +
                std::to_string(m.out) + " channels on a " + std::to_string(n) + "x" +
                std::to_string(h) + "x" + std::to_string(w) + " map)");
  }

  const auto &e = m.entry(n, h, w);
  const auto dst_desc = e.pd.dst_desc();
  const auto dims = dst_desc.dims();
  auto y = torch::empty(
      {dims[0], dims[1], dims[2], dims[3]},
      torch::TensorOptions().dtype(torch::kBFloat16).memory_format(at::MemoryFormat::ChannelsLast));
  const auto &engine = onednn_cpu_engine();
  std::unordered_map<int, dnnl::memory> args;
  args[DNNL_ARG_SRC] = dnnl::memory(e.pd.src_desc(), engine, quantized.data_ptr());
  args[DNNL_ARG_WEIGHTS] = dnnl::memory(e.pd.weights_desc(), engine, e.weights.data_ptr());
  args[DNNL_ARG_DST] = dnnl::memory(dst_desc, engine, y.data_ptr());
  float input_scale = a.scale;
  int32_t zero_point = a.zero_point;
  args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] =
      dnnl::memory({{1}, dt::s32, tag::a}, engine, &zero_point);
  args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
      dnnl::memory(Impl::scalar_desc(), engine, &input_scale);
  if (m.bias.defined())
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1] =
        dnnl::memory(m.bias_desc(), engine, m.bias.data_ptr());
  execute_on_cpu(e.primitive, e.pd.scratchpad_desc(), std::move(args));
  return y;
}

}  // namespace amused::nn
