#include "transformer/uvit_blocks.h"

#include <torch/torch.h>

#include "nn/gated_gelu.h"
#include "nn/gelu_response_norm.h"
#include "nn/modulated_norm.h"
#include "util/profiler.h"

namespace amused::transformer {

namespace {

torch::Tensor nhwc(const torch::Tensor &x) { return x.permute({0, 2, 3, 1}); }
torch::Tensor nchw(const torch::Tensor &x) { return x.permute({0, 3, 1, 2}); }

}  // namespace

nn::KeyValue TextContextCache::next(const std::function<nn::KeyValue()> &compute) {
  if (cursor_ == key_values_.size()) key_values_.push_back(compute());
  return key_values_[cursor_++];
}

torch::Tensor TextContextCache::next_modulation(const std::function<torch::Tensor()> &compute) {
  if (modulation_cursor_ == modulations_.size()) modulations_.push_back(compute());
  return modulations_[modulation_cursor_++];
}

namespace {

// Attention of `x` over the text, its keys/values from `text` when given.
torch::Tensor attend_text(nn::AttentionImpl &attention, const torch::Tensor &x,
                          const std::function<torch::Tensor()> &context, TextContextCache *text) {
  auto compute = [&] { return attention.project_key_value(context()); };
  return attention.attend(x, text ? text->next(compute) : compute());
}

}  // namespace

UVit2DConvEmbedImpl::UVit2DConvEmbedImpl(const UVit2DConfig &c) {
  embeddings = register_module("embeddings", nn::Embedding(c.vocab_size, c.in_channels));
  layer_norm = register_module(
      "layer_norm", nn::RMSNorm(c.in_channels, c.layer_norm_eps, c.ln_elementwise_affine));
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions{c.in_channels, c.block_out_channels,
                                                              1, 1, 0, 1, c.use_bias}));
}

torch::Tensor UVit2DConvEmbedImpl::forward(const torch::Tensor &input_ids) {
  return conv(nchw(layer_norm(embeddings(input_ids))));
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t in, int64_t out, bool bias) {
  linear_1 = register_module("linear_1", nn::Linear(in, out, bias));
  linear_2 = register_module("linear_2", nn::Linear(out, out, bias));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor &x) {
  return linear_2(torch::silu(linear_1(x)));
}

GlobalResponseNormImpl::GlobalResponseNormImpl(int64_t dim) {
  gamma = register_parameter("gamma", torch::empty({1, 1, 1, dim}));
  beta = register_parameter("beta", torch::empty({1, 1, 1, dim}));
}

torch::Tensor GlobalResponseNormImpl::forward(const torch::Tensor &x) {
  auto gx = torch::norm(x, 2, {1, 2}, /*keepdim=*/true);
  auto nx = gx / (gx.mean(-1, /*keepdim=*/true) + 1e-6);
  return gamma * (x * nx) + beta + x;
}

ConvNextBlockImpl::ConvNextBlockImpl(int64_t ch, const UVit2DConfig &c) {
  const int64_t inner = ch * 4;  // res_ffn_factor
  depthwise =
      register_module("depthwise", nn::Conv2d(nn::Conv2dOptions{ch, ch, 3, 1, 1, ch, c.use_bias}));
  norm = register_module("norm", nn::RMSNorm(ch, c.layer_norm_eps, c.ln_elementwise_affine));
  channelwise_linear_1 = register_module("channelwise_linear_1", nn::Linear(ch, inner, c.use_bias));
  channelwise_norm = register_module("channelwise_norm", GlobalResponseNorm(inner));
  channelwise_linear_2 = register_module("channelwise_linear_2", nn::Linear(inner, ch, c.use_bias));
  cond_embeds_mapper =
      register_module("cond_embeds_mapper", nn::Linear(c.hidden_size, ch * 2, c.use_bias));
}

torch::Tensor ConvNextBlockImpl::forward(const torch::Tensor &x, const torch::Tensor &cond,
                                         TextContextCache *cache) {
  ProfileScope scope("transformer: conv blocks");
  auto h = channelwise_linear_1(norm(nhwc(depthwise(x))));
  const nn::PackedLinear *next = channelwise_linear_2->packed_product();
  if (next && channelwise_linear_1->packed() && h.scalar_type() == torch::kFloat32 &&
      h.is_contiguous()) {
    // The fast precisions: gelu and the response norm fused, quantized on the way for int8.
    // fp32 keeps ATen's operations, and the reference's numerics.
    const auto &g = channelwise_norm->gamma, &b = channelwise_norm->beta;
    h = next->type() == nn::PackedType::kInt8
            ? next->forward(nn::gelu_response_norm_quantized(h, g, b))
            : next->forward(nn::gelu_response_norm_(h, g, b));
    h = h.to(x.scalar_type());
  } else {
    h = channelwise_linear_2(channelwise_norm(torch::gelu(h)));
  }
  h = nchw(h) + x;
  auto compute = [&] { return cond_embeds_mapper(torch::silu(cond)); };
  auto ss = (cache ? cache->next_modulation(compute) : compute()).chunk(2, 1);
  return h * (1 + ss[0].unsqueeze(-1).unsqueeze(-1)) + ss[1].unsqueeze(-1).unsqueeze(-1);
}

SkipFFTransformerBlockImpl::SkipFFTransformerBlockImpl(int64_t ch, const UVit2DConfig &c) {
  if (c.hidden_size != ch)
    kv_mapper = register_module("kv_mapper", nn::Linear(c.hidden_size, ch, c.use_bias));
  // diffusers builds these norms with a fixed eps and a weight, whatever the config says.
  norm1 = register_module("norm1", nn::RMSNorm(ch, 1e-6, true));
  nn::AttentionOptions a;
  a.query_dim = ch;
  a.context_dim = ch;
  a.heads = c.block_num_heads;
  a.head_dim = ch / c.block_num_heads;
  a.bias = c.use_bias;
  a.out_bias = c.use_bias;
  attn1 = register_module("attn1", nn::Attention(a));
  norm2 = register_module("norm2", nn::RMSNorm(ch, 1e-6, true));
  attn2 = register_module("attn2", nn::Attention(a));
  for (nn::Attention *attn : {&attn1, &attn2})
    (*attn)->set_profile_names("transformer: conv-stage attention (text)",
                               "transformer: conv-stage attention (text)",
                               "transformer: conv-stage attention (text)");
}

torch::Tensor SkipFFTransformerBlockImpl::forward(const torch::Tensor &x,
                                                  const torch::Tensor &encoder_hidden_states,
                                                  TextContextCache *text) {
  ProfileScope scope("transformer: conv-stage attention (text)");
  torch::Tensor mapped;
  auto context = [&] {
    if (!mapped.defined())
      mapped = kv_mapper ? kv_mapper(torch::silu(encoder_hidden_states)) : encoder_hidden_states;
    return mapped;
  };
  auto h = x + attend_text(*attn1, norm1(x), context, text);
  return h + attend_text(*attn2, norm2(h), context, text);
}

Downsample2DImpl::Downsample2DImpl(int64_t ch, const UVit2DConfig &c) {
  norm = register_module("norm", nn::RMSNorm(ch, c.layer_norm_eps, c.ln_elementwise_affine));
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions{ch, ch, 2, 2, 0, 1, c.use_bias}));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor &x) {
  ProfileScope scope("transformer: down/upsampling");
  auto h = nchw(norm(nhwc(x)));
  // diffusers pads right/bottom by one before a padding-0 strided conv.
  return conv(torch::constant_pad_nd(h, {0, 1, 0, 1}, 0));
}

Upsample2DImpl::Upsample2DImpl(int64_t ch, const UVit2DConfig &c) {
  norm = register_module("norm", nn::RMSNorm(ch, c.layer_norm_eps, c.ln_elementwise_affine));
  conv = register_module("conv",
                         nn::ConvTranspose2d(nn::Conv2dOptions{ch, ch, 2, 2, 0, 1, c.use_bias}));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor &x) {
  ProfileScope scope("transformer: down/upsampling");
  return conv(nchw(norm(nhwc(x))));
}

UVitBlockImpl::UVitBlockImpl(const UVit2DConfig &c, bool down, bool up) {
  const int64_t ch = c.block_out_channels;
  if (down) downsample = register_module("downsample", Downsample2D(ch, c));
  res_blocks = register_module("res_blocks", torch::nn::ModuleList());
  attention_blocks = register_module("attention_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_res_blocks; ++i) {
    res_blocks->push_back(ConvNextBlock(ch, c));
    attention_blocks->push_back(SkipFFTransformerBlock(ch, c));
  }
  if (up) upsample = register_module("upsample", Upsample2D(ch, c));
}

torch::Tensor UVitBlockImpl::forward(torch::Tensor x, const torch::Tensor &cond,
                                     const torch::Tensor &encoder_hidden_states,
                                     TextContextCache *text) {
  if (downsample) x = downsample(x);
  for (size_t i = 0; i < res_blocks->size(); ++i) {
    x = res_blocks[i]->as<ConvNextBlockImpl>()->forward(x, cond, text);
    const auto b = x.size(0), ch = x.size(1), h = x.size(2), w = x.size(3);
    auto seq = x.view({b, ch, h * w}).permute({0, 2, 1});
    seq = attention_blocks[i]->as<SkipFFTransformerBlockImpl>()->forward(seq, encoder_hidden_states,
                                                                         text);
    x = seq.permute({0, 2, 1}).reshape({b, ch, h, w});
  }
  if (upsample) x = upsample(x);
  return x;
}

AdaLayerNormContinuousImpl::AdaLayerNormContinuousImpl(const UVit2DConfig &c, bool rms)
    : eps_(c.layer_norm_eps) {
  linear = register_module("linear", nn::Linear(c.hidden_size, c.hidden_size * 2, c.use_bias));
  if (rms)
    rms_norm = register_module(
        "norm", nn::RMSNorm(c.hidden_size, c.layer_norm_eps, c.ln_elementwise_affine));
  else
    layer_norm = register_module("norm", nn::LayerNorm(c.hidden_size, c.layer_norm_eps,
                                                       c.ln_elementwise_affine, c.use_bias));
}

torch::Tensor AdaLayerNormContinuousImpl::forward(const torch::Tensor &x, const torch::Tensor &cond,
                                                  TextContextCache *cache) {
  ProfileScope scope("transformer: norms and modulation");
  auto compute = [&] { return linear(torch::silu(cond)); };
  auto ss = (cache ? cache->next_modulation(compute) : compute()).chunk(2, 1);
  if (fused && x.is_cpu())
    return nn::modulated_norm(x, rms_norm ? nn::NormKind::kRms : nn::NormKind::kLayer,
                              rms_norm ? rms_norm->weight : layer_norm->weight,
                              rms_norm ? torch::Tensor() : layer_norm->bias, eps_, ss[0], ss[1]);
  auto normed = rms_norm ? rms_norm(x) : layer_norm(x);
  return normed * (1 + ss[0].unsqueeze(1)) + ss[1].unsqueeze(1);
}

GegluImpl::GegluImpl(int64_t dim, int64_t inner, bool bias) {
  proj = register_module("proj", nn::Linear(dim, inner * 2, bias));
}

torch::Tensor GegluImpl::forward(const torch::Tensor &x) {
  if (value_) return nn::gated_gelu_(value_->forward(x), gate_->forward(x));
  auto parts = proj(x).chunk(2, -1);
  return parts[0] * torch::gelu(parts[1]);
}

torch::Tensor GegluImpl::forward_into(const torch::Tensor &x, const nn::PackedLinear &next) {
  if (value_->type() == nn::PackedType::kInt8 && next.type() == nn::PackedType::kInt8) {
    // One quantization of x for both halves, and the hidden rows quantized as they are made.
    const auto q = nn::quantize_rows(x);
    return next.forward(nn::gated_gelu_quantized(value_->forward(q), gate_->forward(q)));
  }
  return next.forward(nn::gated_gelu_(value_->forward(x), gate_->forward(x)));
}

void GegluImpl::pack_halves(nn::PackedType type) {
  torch::NoGradGuard no_grad;
  const auto halves = proj->weight.chunk(2, 0);
  std::vector<torch::Tensor> bias_halves;
  if (proj->bias.defined()) bias_halves = proj->bias.chunk(2, 0);
  value_ = std::make_shared<const nn::PackedLinear>(
      halves[0], bias_halves.empty() ? torch::Tensor() : bias_halves[0], type);
  gate_ = std::make_shared<const nn::PackedLinear>(
      halves[1], bias_halves.empty() ? torch::Tensor() : bias_halves[1], type);
  proj->release_weights();
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t inner, bool bias) {
  net = register_module("net", torch::nn::ModuleList());
  net->push_back(Geglu(dim, inner, bias));
  net->push_back(torch::nn::Dropout(0.0));
  net->push_back(nn::Linear(inner, dim, bias));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor &x) {
  ProfileScope scope("transformer: feed-forward");
  auto *geglu = net[0]->as<GegluImpl>();
  auto *out = net[2]->as<nn::LinearImpl>();
  if (geglu->packed() && out->packed_product())
    return geglu->forward_into(x, *out->packed_product()).to(x.scalar_type());
  return out->forward(geglu->forward(x));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(const UVit2DConfig &c) {
  nn::AttentionOptions a;
  a.query_dim = c.hidden_size;
  a.heads = c.num_attention_heads;
  a.head_dim = c.hidden_size / c.num_attention_heads;
  a.bias = c.use_bias;
  a.out_bias = c.use_bias;
  norm1 = register_module("norm1", AdaLayerNormContinuous(c, true));
  attn1 = register_module("attn1", nn::Attention(a));
  norm2 = register_module("norm2", AdaLayerNormContinuous(c, true));
  a.context_dim = c.hidden_size;  // the projected text states
  attn2 = register_module("attn2", nn::Attention(a));
  attn1->set_profile_names("transformer: self-attention q/k/v",
                           "transformer: self-attention scores, softmax, values",
                           "transformer: self-attention output");
  attn2->set_profile_names("transformer: cross-attention (text)",
                           "transformer: cross-attention (text)",
                           "transformer: cross-attention (text)");
  norm3 = register_module("norm3", AdaLayerNormContinuous(c, false));
  ff = register_module("ff", FeedForward(c.hidden_size, c.intermediate_size, c.use_bias));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor &x,
                                                 const torch::Tensor &encoder_hidden_states,
                                                 const torch::Tensor &cond,
                                                 const std::vector<nn::KeyValue> *extra,
                                                 nn::KeyValue *record, TextContextCache *text) {
  ProfileScope scope("transformer: residuals and copies");
  auto normed = norm1->forward(x, cond, text);
  auto [q, own] = attn1->project_self(normed);
  if (record) *record = own;
  torch::Tensor h;
  if (extra && !extra->empty()) {
    std::vector<torch::Tensor> keys{own.key}, values{own.value};
    for (const auto &kv : *extra) {
      keys.push_back(kv.key);
      values.push_back(kv.value);
    }
    h = x + attn1->attend_queries(q, {torch::cat(keys, 2), torch::cat(values, 2)});
  } else {
    h = x + attn1->attend_queries(q, own);
  }
  auto text_states = [&] { return encoder_hidden_states; };
  h = h + attend_text(*attn2, norm2->forward(h, cond, text), text_states, text);
  return h + ff(norm3->forward(h, cond, text));
}

ConvMlmLayerImpl::ConvMlmLayerImpl(const UVit2DConfig &c) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions{c.block_out_channels, c.in_channels,
                                                                1, 1, 0, 1, c.use_bias}));
  layer_norm = register_module(
      "layer_norm", nn::RMSNorm(c.in_channels, c.layer_norm_eps, c.ln_elementwise_affine));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions{c.in_channels, c.codebook_size, 1,
                                                                1, 0, 1, c.use_bias}));
}

torch::Tensor ConvMlmLayerImpl::forward(const torch::Tensor &x) {
  ProfileScope scope("transformer: logits head");
  return conv2(nchw(layer_norm(nhwc(conv1(x)))));
}

}  // namespace amused::transformer
