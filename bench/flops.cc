#include "flops.h"

namespace amused::bench {

namespace {

double linear(double tokens, double in, double out) { return 2.0 * tokens * in * out; }

// One attention: q/out projections over `n` queries, k/v over `m` keys, scores and
// weighted sum at width `dim`.
double attention(double n, double m, double dim, double kv_in) {
  return linear(n, dim, dim) * 2 + linear(m, kv_in, dim) * 2 + 2.0 * 2.0 * n * m * dim;
}

double uvit_block(const transformer::UVit2DConfig &c, double hw, double text) {
  const double ch = static_cast<double>(c.block_out_channels);
  double f = 0;
  for (int64_t i = 0; i < c.num_res_blocks; ++i) {
    f += 2.0 * 9 * ch * hw;                                // depthwise 3x3
    f += linear(hw, ch, 4 * ch) + linear(hw, 4 * ch, ch);  // channelwise MLP
    f += linear(text, c.hidden_size, ch);                  // kv_mapper
    f += 2 * attention(hw, text, ch, ch);                  // attn1 and attn2, both to text
  }
  return f;
}

}  // namespace

double uvit_forward_flops(const transformer::UVit2DConfig &c, int64_t batch, int64_t rows,
                          int64_t cols, int64_t text_tokens) {
  const double hw = static_cast<double>(rows * cols);
  const double s = c.downsample ? hw / 4 : hw;
  const double text = static_cast<double>(text_tokens);
  const double h = static_cast<double>(c.hidden_size),
               ch = static_cast<double>(c.block_out_channels);
  double f = linear(text, c.encoder_hidden_size, h);
  f += linear(hw, c.in_channels, ch);  // embed conv
  f += 2 * uvit_block(c, hw, text);
  if (c.downsample) f += 2 * linear(s, 4 * ch, ch);  // 2x2 conv down and transposed conv up
  f += linear(s, ch, h) + linear(s, h, ch);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    f += attention(s, s, h, h);     // self-attention
    f += attention(s, text, h, h);  // cross-attention
    f += linear(s, h, 2.0 * c.intermediate_size) + linear(s, c.intermediate_size, h);  // GEGLU FF
  }
  f += linear(hw, ch, c.in_channels) + linear(hw, c.in_channels, c.codebook_size);  // MLM head
  return f * static_cast<double>(batch);
}

}  // namespace amused::bench
