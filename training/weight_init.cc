#include "training/weight_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "lab/amused_lab.h"

namespace amused::train {

void init_convolutions_fan_in(torch::nn::Module &root, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto &m : root.modules(true)) {
    auto *conv = dynamic_cast<nn::Conv2dImpl *>(m.get());
    if (!conv) continue;
    const auto &w = conv->weight;
    const double fan_in = double(w.size(1) * w.size(2) * w.size(3));
    const double bound = 1.0 / std::sqrt(fan_in);
    conv->weight.uniform_(-bound, bound, gen);
    if (conv->bias.defined()) conv->bias.zero_();
  }
}

void PinnedWeights::pin(const torch::Tensor &param, at::ArrayRef<at::indexing::TensorIndex> index) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry &e) { return e.param.is_same(param); });
  Entry &e =
      it != entries_.end()
          ? *it
          : entries_.emplace_back(Entry{param, torch::zeros(param.sizes(), torch::kBool), {}});
  e.mask.index_put_(index, true);
}

void PinnedWeights::freeze() {
  torch::NoGradGuard no_grad;
  for (auto &e : entries_) e.value = e.param.detach().masked_select(e.mask);
}

void PinnedWeights::zero_grads() const {
  torch::NoGradGuard no_grad;
  for (const auto &e : entries_)
    if (e.param.grad().defined()) e.param.grad().masked_fill_(e.mask, 0.0);
}

void PinnedWeights::restore() const {
  torch::NoGradGuard no_grad;
  for (const auto &e : entries_) e.param.masked_scatter_(e.mask, e.value);
}

int64_t PinnedWeights::count() const {
  int64_t n = 0;
  for (const auto &e : entries_) n += e.mask.sum().item<int64_t>();
  return n;
}

void seed_position_channels(transformer::UVit2DModel &uvit, PinnedWeights *pinned) {
  torch::NoGradGuard no_grad;
  using torch::indexing::Slice;
  auto pin = [&](const torch::Tensor &param, at::ArrayRef<at::indexing::TensorIndex> index) {
    if (pinned && param.defined()) pinned->pin(param, index);
  };
  // The path's own entries: zero until set below, and kept from training when pinning.
  auto own = [&](torch::Tensor param, at::ArrayRef<at::indexing::TensorIndex> index) {
    param.index_put_(index, 0.0);
    pin(param, index);
  };
  const auto first3 = Slice(0, 3);
  // Every RMSNorm on the path divides by the size of all channels, which training grows
  // (10x in 20 minutes, measured): a constant that is small next to the content shrinks with
  // it, and so does the ramp's gain, until the shift no longer propagates. So where the path
  // passes a norm, channel 2 dominates that norm's input, and the norm's output on the three
  // channels no longer depends on the content. The price: the content is divided by the
  // constant there too, and in 55 minutes the weights after the norms do not make up for it
  // (the down block's content ends 5x smaller; 50.4% adherence against 56.0%, README).
  constexpr double kEmbedConstant = 1.0;  // 50x the std of the other embedding components
  constexpr double kEmbedDominant = 20;   // channel 2 out of the input conv (into a norm)
  constexpr double kConstant = 1.0;       // channel 2 in the down block's stream
  constexpr double kBlockDominant = 8;    // channel 2 out of each depthwise conv (into a norm)
  constexpr double kStep = 0.125;         // the ramps rise by this per column
  constexpr double kShiftTap = 1.0;       // depthwise taps of channels 0 and 1
  const auto &c = uvit->config();
  const int64_t channels = c.block_out_channels;

  // Channel 2 carries a constant: one embedding component is the same for every code, and
  // the input convolution reads only that component into it. Channels 0 and 1 start at 0.
  auto &embed = *uvit->embed;
  embed.embeddings->weight.index_put_({Slice(), 0}, kEmbedConstant);
  auto &w = embed.conv->weight;  // [channels, in_channels, 1, 1]
  own(w, {first3});
  w.index_put_({Slice(3), 0}, 0.0);
  auto masked = torch::full({1, c.sample_size, c.sample_size}, c.vocab_size - 1, torch::kLong);
  auto scale_to = [](torch::Tensor weight, const torch::Tensor &value, double target) {
    weight.mul_(target / value.mean().item<double>());
  };
  w.index_put_({2, 0}, 1.0);
  scale_to(w[2], embed.forward(masked)[0][2], kEmbedDominant);
  pin(embed.embeddings->weight, {Slice(), 0});
  pin(embed.layer_norm->weight, {0});

  auto &down = *uvit->down_block;
  auto x = embed.forward(masked);
  if (down.downsample) {
    auto &d = down.downsample->conv->weight;  // [out, in, 2, 2]
    own(d, {first3});
    d.index_put_({Slice(3), first3}, 0.0);
    d.index_put_({2, 2}, 1.0);
    scale_to(d[2], down.downsample->forward(x)[0][2], kConstant);
    pin(down.downsample->norm->weight, {first3});
    x = down.downsample->forward(x);
  }
  // Each block adds to channel 0 (left neighbour - itself + step): from zeros, after k blocks
  // column j holds min(j + 1, k) steps, and channel 1 the same from the right edge, exactly
  // while channel 2 dominates the block norm's divisor (as the content grows, the gain falls
  // below 1 and the inner steps shrink). The path is linear: depthwise taps, the block's
  // RMSNorm, hidden units in +/- pairs (gelu(z) - gelu(-z) = z), the output projection; the
  // adaptive norm leaves the three channels alone, and the attention blocks write nothing
  // into them.
  const auto no_condition = torch::zeros({1, c.hidden_size});
  for (size_t i = 0; i < down.res_blocks->size(); ++i) {
    auto &b = *down.res_blocks[i]->as<transformer::ConvNextBlockImpl>();
    auto &k = b.depthwise->weight;  // [channels, 1, 3, 3]
    own(k, {first3});
    pin(b.norm->weight, {first3});
    k.index_put_({0, 0, 1, 0}, kShiftTap);
    k.index_put_({0, 0, 1, 1}, -kShiftTap);
    k.index_put_({1, 0, 1, 2}, kShiftTap);
    k.index_put_({1, 0, 1, 1}, -kShiftTap);
    k.index_put_({2, 0, 1, 1}, kBlockDominant / kConstant);
    // The RMSNorm's divisor at the first step (the median over tokens): ~kBlockDominant /
    // sqrt(channels), whatever the content.
    auto dw = b.depthwise->forward(x)[0];  // [C,h,w]
    const double rms = dw.pow(2).mean(0).add(c.layer_norm_eps).sqrt().median().item<double>();
    const double through = rms / kShiftTap;  // undoes tap and norm

    auto &l1 = b.channelwise_linear_1->weight;  // [hidden, channels]
    own(l1, {Slice(0, 4)});
    l1.index_put_({Slice(4), first3}, 0.0);
    pin(b.channelwise_norm->gamma, {0, 0, 0, Slice(0, 4)});  // zero: GRN is the identity
    pin(b.channelwise_norm->beta, {0, 0, 0, Slice(0, 4)});
    const double per_constant = kStep * kShiftTap / kBlockDominant;
    for (int side = 0; side < 2; ++side)
      for (int sign = 0; sign < 2; ++sign) {
        const double s = sign == 0 ? 1.0 : -1.0;
        l1.index_put_({2 * side + sign, side}, s);
        l1.index_put_({2 * side + sign, 2}, s * per_constant);
      }
    auto &l2 = b.channelwise_linear_2->weight;  // [channels, hidden]
    own(l2, {first3});
    l2.index_put_({Slice(3), Slice(0, 4)}, 0.0);
    for (int side = 0; side < 2; ++side) {
      l2.index_put_({side, 2 * side}, through);
      l2.index_put_({side, 2 * side + 1}, -through);
    }
    auto &mapper = b.cond_embeds_mapper->weight;  // [2C, hidden]: scale rows, then shift rows
    own(mapper, {first3});
    own(mapper, {Slice(channels, channels + 3)});
    auto &attention = *down.attention_blocks[i]->as<transformer::SkipFFTransformerBlockImpl>();
    for (auto *a : {attention.attn1.get(), attention.attn2.get()})
      own(a->to_out[0]->as<nn::LinearImpl>()->weight, {first3});
    x = b.forward(x, no_condition);
  }
  if (pinned) pinned->freeze();
}

void set_conv_memory_format(torch::nn::Module &root, c10::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (auto &p : root.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(format));
}

}  // namespace amused::train
