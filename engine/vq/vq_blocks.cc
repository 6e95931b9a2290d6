#include "vq/vq_blocks.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace amused::vq {

namespace {
constexpr double kEps = 1e-6;  // diffusers' resnet_eps for the VQ encoder/decoder
}

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in, int64_t out, int64_t groups) {
  norm1 = register_module("norm1", nn::GroupNorm(groups, in, kEps));
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions{in, out, 3, 1, 1}));
  norm2 = register_module("norm2", nn::GroupNorm(groups, out, kEps));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions{out, out, 3, 1, 1}));
  if (in != out)
    conv_shortcut =
        register_module("conv_shortcut", nn::Conv2d(nn::Conv2dOptions{in, out, 1, 1, 0}));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor &x, nn::NormStats *stats) {
  auto h = conv1(torch::silu(norm1->forward(x, stats)));
  h = conv2(torch::silu(norm2->forward(h, stats)));
  return (conv_shortcut ? conv_shortcut(x) : x) + h;
}

SpatialAttentionImpl::SpatialAttentionImpl(int64_t ch, int64_t groups) {
  group_norm = register_module("group_norm", nn::GroupNorm(groups, ch, kEps));
  to_q = register_module("to_q", nn::Linear(ch, ch, true));
  to_k = register_module("to_k", nn::Linear(ch, ch, true));
  to_v = register_module("to_v", nn::Linear(ch, ch, true));
  to_out = register_module("to_out", torch::nn::ModuleList());
  to_out->push_back(nn::Linear(ch, ch, true));
}

torch::Tensor SpatialAttentionImpl::forward(const torch::Tensor &x, nn::NormStats *stats) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto seq = group_norm->forward(x, stats).view({b, c, h * w}).transpose(1, 2);
  auto q = to_q(seq), k = to_k(seq), v = to_v(seq);
  auto probs =
      (torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(c))).softmax(-1);
  auto out = to_out[0]->as<nn::LinearImpl>()->forward(torch::matmul(probs, v));
  return out.transpose(1, 2).reshape({b, c, h, w}) + x;
}

MidBlockImpl::MidBlockImpl(int64_t ch, int64_t groups, bool add_attention) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  attentions = register_module("attentions", torch::nn::ModuleList());
  resnets->push_back(ResnetBlock2D(ch, ch, groups));
  if (add_attention) attentions->push_back(SpatialAttention(ch, groups));
  resnets->push_back(ResnetBlock2D(ch, ch, groups));
}

torch::Tensor MidBlockImpl::forward(torch::Tensor x, nn::NormStats *stats) {
  x = resnets[0]->as<ResnetBlock2DImpl>()->forward(x, stats);
  if (!attentions->is_empty()) x = attentions[0]->as<SpatialAttentionImpl>()->forward(x, stats);
  return resnets[1]->as<ResnetBlock2DImpl>()->forward(x, stats);
}

ConvDownsampleImpl::ConvDownsampleImpl(int64_t ch) {
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions{ch, ch, 3, 2, 0}));
}

torch::Tensor ConvDownsampleImpl::forward(const torch::Tensor &x) {
  return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
}

ConvUpsampleImpl::ConvUpsampleImpl(int64_t ch) {
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions{ch, ch, 3, 1, 1}));
}

void ConvUpsampleImpl::fold_into_phases() {
  torch::NoGradGuard no_grad;
  const auto &o = conv->options();
  // Along each axis an even output pixel reads input pixel i-1 through the kernel's tap 0
  // and pixel i through taps 1 and 2; an odd one reads i through taps 0 and 1, i+1 through 2.
  const std::vector<int64_t> taps[2][2] = {{{0}, {1, 2}}, {{0, 1}, {2}}};
  const auto w = conv->weight.to(torch::kFloat32);
  auto folded = torch::empty({4 * o.out, o.in, 2, 2});
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 2; ++c) {
      auto phase = folded.narrow(0, (2 * r + c) * o.out, o.out);
      for (int64_t y = 0; y < 2; ++y)
        for (int64_t x = 0; x < 2; ++x) {
          auto tap = phase.select(3, x).select(2, y);
          tap.zero_();
          for (int64_t a : taps[r][y])
            for (int64_t b : taps[c][x]) tap.add_(w.select(3, b).select(2, a));
        }
    }
  phases = register_module("phases", nn::Conv2d(nn::Conv2dOptions{o.in, 4 * o.out, 2, 1, 1}));
  phases->weight.set_data(folded);
  if (conv->bias.defined()) phases->bias.set_data(conv->bias.to(torch::kFloat32).repeat({4}));
  unregister_module("conv");
  conv = nullptr;
}

torch::Tensor ConvUpsampleImpl::forward(const torch::Tensor &x) {
  if (!phases) return conv(torch::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}));
  // phases(x) [N, 4C, H+1, W+1]: the pixel at (2i + r, 2j + c) of the upsampled result is
  // channel block 2r + c at (i + r, j + c).
  const auto n = x.size(0), h = x.size(2), w = x.size(3);
  // channels-last storage as [N, H+1, W+1, 4C]
  const auto all = phases(x).permute({0, 2, 3, 1}).contiguous();
  const int64_t c = all.size(3) / 4, bytes = c * static_cast<int64_t>(all.element_size());
  auto out = torch::empty({n, 2 * h, 2 * w, c}, all.options());
  const auto *src = static_cast<const char *>(all.data_ptr());
  auto *dst = static_cast<char *>(out.data_ptr());
  // One output row at a time: its pixels alternate between two phases' channel blocks.
  at::parallel_for(0, n * 2 * h, 8, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t image = row / (2 * h), y = row % (2 * h), r = y % 2, i = y / 2;
      const char *in = src + ((image * (h + 1) + i + r) * (w + 1)) * 4 * bytes;
      char *line = dst + row * 2 * w * bytes;
      for (int64_t j = 0; j < w; ++j)
        for (int64_t col = 0; col < 2; ++col)
          std::memcpy(line + (2 * j + col) * bytes, in + ((j + col) * 4 + 2 * r + col) * bytes,
                      static_cast<size_t>(bytes));
    }
  });
  return out.permute({0, 3, 1, 2});
}

DownEncoderBlockImpl::DownEncoderBlockImpl(int64_t in, int64_t out, int64_t layers, int64_t groups,
                                           bool downsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  downsamplers = register_module("downsamplers", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i)
    resnets->push_back(ResnetBlock2D(i == 0 ? in : out, out, groups));
  if (downsample) downsamplers->push_back(ConvDownsample(out));
}

torch::Tensor DownEncoderBlockImpl::forward(torch::Tensor x) {
  for (auto &r : *resnets) x = r->as<ResnetBlock2DImpl>()->forward(x);
  for (auto &d : *downsamplers) x = d->as<ConvDownsampleImpl>()->forward(x);
  return x;
}

UpDecoderBlockImpl::UpDecoderBlockImpl(int64_t in, int64_t out, int64_t layers, int64_t groups,
                                       bool upsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  upsamplers = register_module("upsamplers", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i)
    resnets->push_back(ResnetBlock2D(i == 0 ? in : out, out, groups));
  if (upsample) upsamplers->push_back(ConvUpsample(out));
}

torch::Tensor UpDecoderBlockImpl::forward(torch::Tensor x, nn::NormStats *stats) {
  for (auto &r : *resnets) x = r->as<ResnetBlock2DImpl>()->forward(x, stats);
  for (auto &u : *upsamplers) x = u->as<ConvUpsampleImpl>()->forward(x);
  return x;
}

}  // namespace amused::vq
