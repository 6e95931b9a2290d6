// The convolutional blocks of diffusers' VQModel encoder and decoder (resnet.py,
// unet_2d_blocks.py, downsampling.py, upsampling.py), with diffusers' submodule names.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include "nn/attention.h"
#include "nn/layers.h"

namespace amused::vq {

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  ResnetBlock2DImpl(int64_t in, int64_t out, int64_t groups);
  torch::Tensor forward(const torch::Tensor &x, nn::NormStats *stats = nullptr);
  nn::GroupNorm norm1 = nullptr, norm2 = nullptr;
  nn::Conv2d conv1 = nullptr, conv2 = nullptr;
  nn::Conv2d conv_shortcut = nullptr;  // when in != out
};
TORCH_MODULE(ResnetBlock2D);

// The mid-block's single-head spatial self-attention with group norm and residual.
class SpatialAttentionImpl : public torch::nn::Module {
 public:
  SpatialAttentionImpl(int64_t channels, int64_t groups);
  torch::Tensor forward(const torch::Tensor &x, nn::NormStats *stats = nullptr);
  nn::GroupNorm group_norm = nullptr;
  nn::Linear to_q = nullptr, to_k = nullptr, to_v = nullptr;
  torch::nn::ModuleList to_out;
};
TORCH_MODULE(SpatialAttention);

class MidBlockImpl : public torch::nn::Module {
 public:
  MidBlockImpl(int64_t channels, int64_t groups, bool add_attention);
  torch::Tensor forward(torch::Tensor x, nn::NormStats *stats = nullptr);
  torch::nn::ModuleList resnets;
  torch::nn::ModuleList attentions;  // empty without attention
};
TORCH_MODULE(MidBlock);

class DownEncoderBlockImpl : public torch::nn::Module {
 public:
  DownEncoderBlockImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, bool downsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList resnets, downsamplers;
};
TORCH_MODULE(DownEncoderBlock);

class UpDecoderBlockImpl : public torch::nn::Module {
 public:
  UpDecoderBlockImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, bool upsample);
  torch::Tensor forward(torch::Tensor x, nn::NormStats *stats = nullptr);
  torch::nn::ModuleList resnets, upsamplers;
};
TORCH_MODULE(UpDecoderBlock);

// Downsample2D(use_conv, padding 0) and Upsample2D(use_conv, nearest x2): both hold "conv".
class ConvDownsampleImpl : public torch::nn::Module {
 public:
  explicit ConvDownsampleImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor &x);
  nn::Conv2d conv = nullptr;
};
TORCH_MODULE(ConvDownsample);

class ConvUpsampleImpl : public torch::nn::Module {
 public:
  explicit ConvUpsampleImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor &x);
  // Replaces `conv` over the upsampled map by `phases` over the map itself (sub-pixel): the
  // 3x3 kernel seen from each of the four pixels an input pixel becomes reads only 2x2
  // input pixels, so one 2x2 convolution with four outputs per channel computes all four,
  // with 16 multiply-adds per output pixel where the upsampled map took 36, and no
  // upsampled copy. The same sums in another order, so for the bf16 and int8 decoders
  // only; fp32 keeps the reference's.
  void fold_into_phases();
  nn::Conv2d conv = nullptr;
  nn::Conv2d phases = nullptr;  // [4 * C, C, 2, 2], padding 1; after fold_into_phases
};
TORCH_MODULE(ConvUpsample);

}  // namespace amused::vq
