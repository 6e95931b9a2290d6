// diffusers' VQModel: encoder, quant_conv, codebook (quantize.embedding), post_quant_conv,
// decoder. The aMUSEd pipelines use encode + nearest-codebook indices (img2img, inpaint)
// and decode(indices, force_not_quantize=True) with a codebook lookup.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include <functional>
#include <vector>

#include "nn/layers.h"
#include "util/grid_rect.h"
#include "vq/vq_blocks.h"
#include "vq/vq_config.h"

namespace amused::vq {

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const VQConfig &c);
  torch::Tensor forward(torch::Tensor x);
  nn::Conv2d conv_in = nullptr;
  torch::nn::ModuleList down_blocks;
  MidBlock mid_block = nullptr;
  nn::GroupNorm conv_norm_out = nullptr;
  nn::Conv2d conv_out = nullptr;
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const VQConfig &c);
  torch::Tensor forward(torch::Tensor x, nn::NormStats *stats = nullptr);
  // The pixels of `wanted` only, each stage run on just the latents its remaining layers
  // reach from there (3x3 convolutions: the low-resolution stages see much of the grid, the
  // costly full-resolution ones little more than `wanted`). With normalisation applied from
  // `stats` (NormStats::Mode::kApply) every layer is local and the result is the full
  // decode's pixels; without, Error.
  torch::Tensor forward_region(torch::Tensor x, nn::NormStats *stats, const GridRect &wanted);
  nn::Conv2d conv_in = nullptr;
  MidBlock mid_block = nullptr;
  torch::nn::ModuleList up_blocks;
  nn::GroupNorm conv_norm_out = nullptr;
  nn::Conv2d conv_out = nullptr;

 private:
  // The layers in order, calling `narrow(x, point, pixels_per_latent)` at each point:
  // 0 the input, 1 + i before up block i, blocks + 1 before the output layers, blocks + 2
  // the result.
  using Narrow = std::function<void(torch::Tensor &, size_t, int64_t)>;
  torch::Tensor run(torch::Tensor x, nn::NormStats *stats, const Narrow &narrow);

  // How far, in latents, the layers after each of those points reach.
  std::vector<double> reach_;
};
TORCH_MODULE(Decoder);

class VectorQuantizerImpl : public torch::nn::Module {
 public:
  VectorQuantizerImpl(int64_t count, int64_t dim);
  // Nearest codebook entry for each position of latents [B,C,h,w] -> [B,h,w] int64.
  torch::Tensor nearest_indices(const torch::Tensor &latents);
  // Codebook vectors for indices [B,h,w] -> [B,C,h,w].
  torch::Tensor lookup(const torch::Tensor &indices);
  nn::Embedding embedding = nullptr;
};
TORCH_MODULE(VectorQuantizer);

class VQModelImpl : public torch::nn::Module {
 public:
  explicit VQModelImpl(const VQConfig &config);

  // Image [B,3,H,W] in [0,1] (the pipelines do not rescale to [-1,1]) -> latents [B,C,h,w].
  torch::Tensor encode(const torch::Tensor &image);
  // Token grid [B,h,w] -> image [B,3,H,W], not clipped.
  // `stats`, when given, records or reuses the decoder's normalisation (see NormStats).
  torch::Tensor decode_indices(const torch::Tensor &indices, nn::NormStats *stats = nullptr);
  // Quantized latents [B,C,h,w] -> image.
  torch::Tensor decode_latents(const torch::Tensor &quantized, nn::NormStats *stats = nullptr);
  // The pixels of the tokens in `wanted` as a full decode gives them, computing only what
  // they depend on (DecoderImpl::forward_region; `stats` in kApply mode).
  torch::Tensor decode_region(const torch::Tensor &indices, nn::NormStats *stats,
                              const GridRect &wanted);
  // Whether decode_region can work: the decoder has no attention (no layer sees the whole
  // grid). True for every aMUSEd VQ.
  bool decodes_regions() const { return decoder->mid_block->attentions->is_empty(); }

  const VQConfig &config() const { return config_; }

  // Runs the encoder and decoder in bf16 with channels-last activations (oneDNN's fast
  // convolutions; about 1.7x the fp32 decode on AVX-512 BF16); latents and images stay fp32.
  // With `int8_convolutions`, the wide 3x3 convolutions run as int8 (nn/packed_conv.h).
  void use_bfloat16_channels_last(bool int8_convolutions = false);

  Encoder encoder = nullptr;
  nn::Conv2d quant_conv = nullptr;
  VectorQuantizer quantize = nullptr;
  nn::Conv2d post_quant_conv = nullptr;
  Decoder decoder = nullptr;

 private:
  torch::Tensor to_compute(const torch::Tensor &x) const;

  VQConfig config_;
  bool bf16_ = false;
};
TORCH_MODULE(VQModel);

}  // namespace amused::vq
