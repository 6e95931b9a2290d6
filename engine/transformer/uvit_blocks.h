// The building blocks of UVit2DModel (diffusers models/unets/uvit_2d.py, attention.py,
// normalization.py), with diffusers' submodule names.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>

#include <functional>
#include <vector>

#include "nn/attention.h"
#include "nn/layers.h"
#include "transformer/uvit2d_config.h"

namespace amused::transformer {

// Extra keys/values for the self-attention of each transformer layer (cross-frame
// attention) and a place to record the layer's own keys/values (the anchor frame's cache).
struct SelfAttentionHooks {
  const std::vector<std::vector<nn::KeyValue>> *extra = nullptr;  // [layer][frame]
  std::vector<nn::KeyValue> *record = nullptr;                    // [layer]
};

// What a forward pass derives from its conditioning alone (the projected text states, the
// keys/values of every attention over them, the conditioning vector and every modulation
// computed from it), kept for the later steps of one generation, which see the same
// conditioning: only the first step computes them.
class TextContextCache {
 public:
  // The entry for the next text attention of this pass, computed by `compute` on the first
  // pass. Entries are taken in call order, which every pass repeats.
  nn::KeyValue next(const std::function<nn::KeyValue()> &compute);
  // The same for the next modulation (a function of the conditioning vector).
  torch::Tensor next_modulation(const std::function<torch::Tensor()> &compute);
  // Starts a pass; the projected text states of the first one are kept.
  void start_pass() { cursor_ = modulation_cursor_ = 0; }
  torch::Tensor text_states;
  torch::Tensor condition;  // cond_embed's output

 private:
  std::vector<nn::KeyValue> key_values_;
  std::vector<torch::Tensor> modulations_;
  size_t cursor_ = 0, modulation_cursor_ = 0;
};

class UVit2DConvEmbedImpl : public torch::nn::Module {
 public:
  explicit UVit2DConvEmbedImpl(const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &input_ids);  // [B,h,w] -> [B,C,h,w]
  nn::Embedding embeddings = nullptr;
  nn::RMSNorm layer_norm = nullptr;
  nn::Conv2d conv = nullptr;
};
TORCH_MODULE(UVit2DConvEmbed);

class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t in, int64_t out, bool bias);
  torch::Tensor forward(const torch::Tensor &x);
  nn::Linear linear_1 = nullptr, linear_2 = nullptr;
};
TORCH_MODULE(TimestepEmbedding);

class GlobalResponseNormImpl : public torch::nn::Module {
 public:
  explicit GlobalResponseNormImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor &x);  // x is NHWC
  torch::Tensor gamma, beta;
};
TORCH_MODULE(GlobalResponseNorm);

class ConvNextBlockImpl : public torch::nn::Module {
 public:
  ConvNextBlockImpl(int64_t channels, const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &cond,
                        TextContextCache *cache = nullptr);
  nn::Conv2d depthwise = nullptr;
  nn::RMSNorm norm = nullptr;
  nn::Linear channelwise_linear_1 = nullptr, channelwise_linear_2 = nullptr;
  GlobalResponseNorm channelwise_norm = nullptr;
  nn::Linear cond_embeds_mapper = nullptr;
};
TORCH_MODULE(ConvNextBlock);

// Both attentions of this block attend to the (mapped) text states, not to the image.
class SkipFFTransformerBlockImpl : public torch::nn::Module {
 public:
  SkipFFTransformerBlockImpl(int64_t channels, const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &encoder_hidden_states,
                        TextContextCache *text = nullptr);
  nn::Linear kv_mapper = nullptr;  // present when hidden_size != channels
  nn::RMSNorm norm1 = nullptr, norm2 = nullptr;
  nn::Attention attn1 = nullptr, attn2 = nullptr;
};
TORCH_MODULE(SkipFFTransformerBlock);

class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &x);
  nn::RMSNorm norm = nullptr;
  nn::Conv2d conv = nullptr;
};
TORCH_MODULE(Downsample2D);

class Upsample2DImpl : public torch::nn::Module {
 public:
  Upsample2DImpl(int64_t channels, const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &x);
  nn::RMSNorm norm = nullptr;
  nn::ConvTranspose2d conv = nullptr;
};
TORCH_MODULE(Upsample2D);

class UVitBlockImpl : public torch::nn::Module {
 public:
  UVitBlockImpl(const UVit2DConfig &c, bool downsample, bool upsample);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor &cond,
                        const torch::Tensor &encoder_hidden_states,
                        TextContextCache *text = nullptr);
  Downsample2D downsample = nullptr;
  torch::nn::ModuleList res_blocks, attention_blocks;
  Upsample2D upsample = nullptr;
};
TORCH_MODULE(UVitBlock);

class AdaLayerNormContinuousImpl : public torch::nn::Module {
 public:
  AdaLayerNormContinuousImpl(const UVit2DConfig &c, bool rms_norm);
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &cond,
                        TextContextCache *cache = nullptr);
  nn::Linear linear = nullptr;
  // Registered as "norm": an RMSNorm (before the attentions) or a LayerNorm (before the MLP).
  nn::RMSNorm rms_norm = nullptr;
  nn::LayerNorm layer_norm = nullptr;
  // The fast precisions: norm and modulation in one kernel (nn/modulated_norm.h).
  bool fused = false;

 private:
  double eps_;
};
TORCH_MODULE(AdaLayerNormContinuous);

class GegluImpl : public torch::nn::Module {
 public:
  GegluImpl(int64_t dim, int64_t inner, bool bias);
  torch::Tensor forward(const torch::Tensor &x);
  // Packs the value and gate halves of `proj` as two products (each as wide as the output,
  // the width oneDNN runs fastest here, and each output contiguous for the gelu).
  void pack_halves(nn::PackedType type);
  bool packed() const { return value_ != nullptr; }
  // The GEGLU followed by `next`, the hidden activations handed over in next's input type.
  torch::Tensor forward_into(const torch::Tensor &x, const nn::PackedLinear &next);
  nn::Linear proj = nullptr;

 private:
  std::shared_ptr<const nn::PackedLinear> value_, gate_;
};
TORCH_MODULE(Geglu);

class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t inner, bool bias);
  torch::Tensor forward(const torch::Tensor &x);
  torch::nn::ModuleList net;  // net.0 = GEGLU, net.1 = dropout, net.2 = output projection
};
TORCH_MODULE(FeedForward);

class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  explicit BasicTransformerBlockImpl(const UVit2DConfig &c);
  // `extra` holds other frames' keys/values for cross-frame attention (may be empty);
  // `record`, when given, receives this frame's self-attention keys/values.
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &encoder_hidden_states,
                        const torch::Tensor &cond, const std::vector<nn::KeyValue> *extra,
                        nn::KeyValue *record, TextContextCache *text = nullptr);
  AdaLayerNormContinuous norm1 = nullptr, norm2 = nullptr, norm3 = nullptr;
  nn::Attention attn1 = nullptr, attn2 = nullptr;
  FeedForward ff = nullptr;
};
TORCH_MODULE(BasicTransformerBlock);

class ConvMlmLayerImpl : public torch::nn::Module {
 public:
  explicit ConvMlmLayerImpl(const UVit2DConfig &c);
  torch::Tensor forward(const torch::Tensor &x);
  nn::Conv2d conv1 = nullptr;
  nn::RMSNorm layer_norm = nullptr;
  nn::Conv2d conv2 = nullptr;
};
TORCH_MODULE(ConvMlmLayer);

}  // namespace amused::transformer
