#include "vq/vq_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "amused.h"

namespace amused::vq {

EncoderImpl::EncoderImpl(const VQConfig &c) {
  const auto &ch = c.block_out_channels;
  const auto g = c.norm_num_groups;
  conv_in =
      register_module("conv_in", nn::Conv2d(nn::Conv2dOptions{c.in_channels, ch[0], 3, 1, 1}));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  int64_t out = ch[0];
  for (size_t i = 0; i < ch.size(); ++i) {
    const int64_t in = out;
    out = ch[i];
    down_blocks->push_back(DownEncoderBlock(in, out, c.layers_per_block, g, i + 1 < ch.size()));
  }
  mid_block = register_module("mid_block", MidBlock(ch.back(), g, c.mid_block_add_attention));
  conv_norm_out = register_module("conv_norm_out", nn::GroupNorm(g, ch.back(), 1e-6));
  conv_out = register_module("conv_out",
                             nn::Conv2d(nn::Conv2dOptions{ch.back(), c.latent_channels, 3, 1, 1}));
}

torch::Tensor EncoderImpl::forward(torch::Tensor x) {
  x = conv_in(x);
  for (auto &b : *down_blocks) x = b->as<DownEncoderBlockImpl>()->forward(x);
  x = mid_block(x);
  return conv_out(torch::silu(conv_norm_out(x)));
}

DecoderImpl::DecoderImpl(const VQConfig &c) {
  const auto &ch = c.block_out_channels;
  const auto g = c.norm_num_groups;
  conv_in = register_module("conv_in",
                            nn::Conv2d(nn::Conv2dOptions{c.latent_channels, ch.back(), 3, 1, 1}));
  mid_block = register_module("mid_block", MidBlock(ch.back(), g, c.mid_block_add_attention));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  int64_t out = ch.back();
  for (size_t i = 0; i < ch.size(); ++i) {
    const int64_t in = out;
    out = ch[ch.size() - 1 - i];
    up_blocks->push_back(UpDecoderBlock(in, out, c.layers_per_block + 1, g, i + 1 < ch.size()));
  }
  conv_norm_out = register_module("conv_norm_out", nn::GroupNorm(g, ch[0], 1e-6));
  conv_out =
      register_module("conv_out", nn::Conv2d(nn::Conv2dOptions{ch[0], c.out_channels, 3, 1, 1}));

  // Every 3x3 convolution reaches one pixel of its own resolution: 1/p latents where a latent
  // is p pixels wide there. Group norms with applied statistics, SiLU, the 1x1 shortcuts and
  // nearest upsampling reach nothing further.
  const size_t blocks = ch.size();
  const double final_scale = static_cast<double>(int64_t{1} << (blocks - 1));
  reach_.assign(blocks + 3, 0.0);          // back(): the result, which reaches nothing
  reach_[blocks + 1] = 1.0 / final_scale;  // conv_out
  const double convs_per_block = 2.0 * static_cast<double>(c.layers_per_block + 1);
  for (size_t i = blocks; i-- > 0;) {
    const double scale = static_cast<double>(int64_t{1} << i);
    double own = convs_per_block / scale;
    if (i + 1 < blocks) own += 1.0 / (2.0 * scale);  // the upsampler's conv, at twice the scale
    reach_[i + 1] = reach_[i + 2] + own;
  }
  reach_[0] = reach_[1] + 1.0 + 4.0;  // conv_in and the mid block's two resnets
}

torch::Tensor DecoderImpl::run(torch::Tensor x, nn::NormStats *stats, const Narrow &narrow) {
  if (stats) stats->cursor = 0;
  int64_t scale = 1;  // pixels per latent at the current stage
  narrow(x, 0, scale);
  x = mid_block->forward(conv_in(x), stats);
  for (size_t i = 0; i < up_blocks->size(); ++i) {
    narrow(x, i + 1, scale);
    x = up_blocks[i]->as<UpDecoderBlockImpl>()->forward(x, stats);
    if (i + 1 < up_blocks->size()) scale *= 2;
  }
  narrow(x, up_blocks->size() + 1, scale);
  x = conv_out(torch::silu(conv_norm_out->forward(x, stats)));
  narrow(x, up_blocks->size() + 2, scale);
  return x;
}

torch::Tensor DecoderImpl::forward(torch::Tensor x, nn::NormStats *stats) {
  return run(std::move(x), stats, [](torch::Tensor &, size_t, int64_t) {});
}

torch::Tensor DecoderImpl::forward_region(torch::Tensor x, nn::NormStats *stats,
                                          const GridRect &wanted) {
  if (!stats || stats->mode != nn::NormStats::Mode::kApply || !mid_block->attentions->is_empty())
    throw Error(
        "VQ decoder: a region decodes exactly only with applied normalisation and no "
        "attention");
  const int64_t h = x.size(2), w = x.size(3);
  GridRect have{0, h, 0, w};
  // At each point, x narrowed to `wanted` grown by what the remaining layers reach.
  return run(std::move(x), stats, [&](torch::Tensor &y, size_t point, int64_t scale) {
    const auto grow = static_cast<int64_t>(std::ceil(reach_[point]));
    const GridRect next{std::max<int64_t>(0, wanted.top - grow), std::min(h, wanted.bottom + grow),
                        std::max<int64_t>(0, wanted.left - grow), std::min(w, wanted.right + grow)};
    using torch::indexing::Slice;
    y = y.index({"...", Slice((next.top - have.top) * scale, (next.bottom - have.top) * scale),
                 Slice((next.left - have.left) * scale, (next.right - have.left) * scale)});
    have = next;
  });
}

VectorQuantizerImpl::VectorQuantizerImpl(int64_t count, int64_t dim) {
  embedding = register_module("embedding", nn::Embedding(count, dim));
}

torch::Tensor VectorQuantizerImpl::nearest_indices(const torch::Tensor &latents) {
  const auto b = latents.size(0), c = latents.size(1), h = latents.size(2), w = latents.size(3);
  auto flat = latents.permute({0, 2, 3, 1}).reshape({-1, c});
  // Same metric as diffusers (torch.cdist), so ties and near-ties resolve identically.
  auto indices = torch::cdist(flat, embedding->weight).argmin(1);
  return indices.view({b, h, w});
}

torch::Tensor VectorQuantizerImpl::lookup(const torch::Tensor &indices) {
  return embedding(indices).permute({0, 3, 1, 2}).contiguous();
}

VQModelImpl::VQModelImpl(const VQConfig &c) : config_(c) {
  encoder = register_module("encoder", Encoder(c));
  quant_conv = register_module(
      "quant_conv", nn::Conv2d(nn::Conv2dOptions{c.latent_channels, c.vq_embed_dim, 1, 1, 0}));
  quantize = register_module("quantize", VectorQuantizer(c.num_vq_embeddings, c.vq_embed_dim));
  post_quant_conv = register_module(
      "post_quant_conv", nn::Conv2d(nn::Conv2dOptions{c.vq_embed_dim, c.latent_channels, 1, 1, 0}));
  decoder = register_module("decoder", Decoder(c));
}

namespace {

constexpr int64_t kInt8MinChannels = 64;

// Where oneDNN's int8 convolution beats its bf16 one: 3x3 kernels (and the upsamplers' 2x2 phases)
// over enough channels to fill VNNI's 4-channel groups and 16-channel blocks; the 3-channel image
// convolutions and the pointwise shortcuts stay bf16.
bool worth_int8(const nn::Conv2dImpl &conv) {
  const auto &o = conv.options();
  return o.kernel >= 2 && o.groups == 1 && o.in >= kInt8MinChannels && o.out >= kInt8MinChannels;
}

}  // namespace

void VQModelImpl::use_bfloat16_channels_last(bool int8_convolutions) {
  torch::NoGradGuard no_grad;
  // The upsamplers' phase kernels are convolutions like the others below.
  for (auto &m : decoder->modules(/*include_self=*/false))
    if (auto *upsample = dynamic_cast<ConvUpsampleImpl *>(m.get())) upsample->fold_into_phases();
  for (torch::nn::Module *part : {static_cast<torch::nn::Module *>(encoder.get()),
                                  static_cast<torch::nn::Module *>(decoder.get()),
                                  static_cast<torch::nn::Module *>(quant_conv.get()),
                                  static_cast<torch::nn::Module *>(post_quant_conv.get())}) {
    for (auto &m : part->modules(/*include_self=*/true)) {
      if (auto *conv = dynamic_cast<nn::Conv2dImpl *>(m.get())) {
        if (int8_convolutions && worth_int8(*conv)) {
          conv->pack_int8_convolution();
          continue;
        }
        conv->set_backend(nn::MatmulBackend::kDefault);  // oneDNN's convolution, 1x1 too
        conv->weight.set_data(
            conv->weight.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast));
        if (conv->bias.defined()) conv->bias.set_data(conv->bias.to(torch::kBFloat16));
      }
    }
    for (auto &p : part->parameters())
      if (p.scalar_type() == torch::kFloat32) p.set_data(p.to(torch::kBFloat16));
  }
  bf16_ = true;
}

torch::Tensor VQModelImpl::to_compute(const torch::Tensor &x) const {
  return bf16_ ? x.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast) : x;
}

torch::Tensor VQModelImpl::encode(const torch::Tensor &image) {
  return quant_conv(encoder(to_compute(image))).to(torch::kFloat32).contiguous();
}

torch::Tensor VQModelImpl::decode_latents(const torch::Tensor &quantized, nn::NormStats *stats) {
  return decoder->forward(post_quant_conv(to_compute(quantized)), stats)
      .to(torch::kFloat32)
      .contiguous();
}

torch::Tensor VQModelImpl::decode_indices(const torch::Tensor &indices, nn::NormStats *stats) {
  return decode_latents(quantize->lookup(indices), stats);
}

torch::Tensor VQModelImpl::decode_region(const torch::Tensor &indices, nn::NormStats *stats,
                                         const GridRect &wanted) {
  return decoder
      ->forward_region(post_quant_conv(to_compute(quantize->lookup(indices))), stats, wanted)
      .to(torch::kFloat32)
      .contiguous();
}

}  // namespace amused::vq
