// The fast precisions: the packed bf16 and int8 matrix products against fp32, the row
// quantizer's exactness, and whole models in bf16 and int8 against the same model in fp32
// (agreement bounds; fp32 itself is held to the reference by test_parity).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "amused.h"
#include "golden.h"
#include "lab/amused_lab.h"
#include "nn/attention_products.h"
#include "nn/fp32_product.h"
#include "nn/gated_gelu.h"
#include "nn/gelu_response_norm.h"
#include "nn/group_norm_bf16.h"
#include "nn/modulated_norm.h"
#include "nn/packed_conv.h"
#include "nn/packed_linear.h"
#include "nn/softmax_bf16.h"
#include "vq/vq_blocks.h"

namespace amused {
namespace {

double relative_error(const torch::Tensor &got, const torch::Tensor &want) {
  return ((got - want).norm() / want.norm()).item<double>();
}

// Rows quantized by a fused kernel against quantizing the exact result: the same scales, and
// codes within one step where a value lies on a rounding boundary.
void expect_quantized_like(const nn::QuantizedRows &q, const torch::Tensor &want) {
  const auto reference = nn::quantize_rows(want);
  EXPECT_TRUE(torch::allclose(q.scales, reference.scales, 1e-5, 0));
  const auto codes = (q.values.to(torch::kInt32) - reference.values.to(torch::kInt32)).abs();
  EXPECT_LE(codes.max().item<int>(), 1);
  EXPECT_LT(codes.to(torch::kFloat32).mean().item<double>(), 0.01);
}

double cosine(const torch::Tensor &a, const torch::Tensor &b) {
  auto x = a.flatten().to(torch::kFloat64), y = b.flatten().to(torch::kFloat64);
  return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

TEST(QuantizeRows, EachValueWithinHalfAStepOfItsRowsScale) {
  torch::manual_seed(1);
  auto x = torch::randn({7, 33}) * torch::linspace(0.01, 100, 7).unsqueeze(1);
  x[3].zero_();  // an all-zero row
  std::vector<uint8_t> q(7 * 33);
  std::vector<float> scales(7);
  nn::quantize_rows_u8(x.data_ptr<float>(), 7, 33, q.data(), scales.data());
  for (int r = 0; r < 7; ++r) {
    const float peak = x[r].abs().max().item<float>();
    if (peak == 0) {
      for (int c = 0; c < 33; ++c) EXPECT_EQ(q[r * 33 + c], 128);
      continue;
    }
    EXPECT_FLOAT_EQ(scales[r], peak / 127.0f);
    for (int c = 0; c < 33; ++c) {
      const float back = (static_cast<int>(q[r * 33 + c]) - 128) * scales[r];
      EXPECT_LE(std::fabs(back - x[r][c].item<float>()), scales[r] * 0.5001f) << r << "," << c;
    }
  }
}

// The fused GEGLU gate against ATen's exact gelu, over the range a feed-forward's gate takes
// and far beyond it (where erf saturates and e^-z^2 underflows).
TEST(GatedGelu, FollowsAtenExactGelu) {
  torch::manual_seed(3);
  auto gate = torch::cat({torch::randn({64, 96}) * 3, torch::linspace(-30, 30, 96).unsqueeze(0)});
  auto value = torch::randn({65, 96});
  const auto want = value * torch::gelu(gate);
  const auto got = nn::gated_gelu_(value.clone(), gate);
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-5);
  EXPECT_LT(relative_error(got, want), 1e-6);

  // Quantized for the next int8 product: the same as quantizing the exact result, within one
  // step where a value lies on a rounding boundary.
  const auto q = nn::gated_gelu_quantized(value, gate);
  ASSERT_EQ(q.values.sizes(), want.sizes());
  expect_quantized_like(q, want);
}

// The conv blocks' fused gelu and GlobalResponseNorm against ATen's operations, as the
// reference computes them (uvit_blocks.cc: GlobalResponseNormImpl), on amused-256's
// shape with gamma and beta far from their identity values.
TEST(GeluResponseNorm, FollowsAtenOperations) {
  torch::manual_seed(6);
  auto h = torch::randn({2, 16, 16, 3072}) * 2;
  auto gamma = torch::randn({1, 1, 1, 3072}), beta = torch::randn({1, 1, 1, 3072});
  const auto g = torch::gelu(h);
  const auto gx = torch::norm(g, 2, {1, 2}, true);
  const auto want = gamma * (g * (gx / (gx.mean(-1, true) + 1e-6))) + beta + g;

  const auto got = nn::gelu_response_norm_(h.clone(), gamma, beta);
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-4);
  EXPECT_LT(relative_error(got, want), 1e-6);

  const auto q = nn::gelu_response_norm_quantized(h.clone(), gamma, beta);
  ASSERT_EQ(q.values.sizes(), want.sizes());
  expect_quantized_like(q, want);

  // Wrong inputs are programming errors, not silent garbage.
  EXPECT_THROW(nn::gelu_response_norm_(h.transpose(1, 2), gamma, beta), std::logic_error);
  EXPECT_THROW(nn::gelu_response_norm_(h.clone(), gamma.narrow(3, 0, 8), beta), std::logic_error);
}

// The bf16 softmax against torch's, for the attentions' row lengths (text 77, tokens 256)
// and scores from small to saturating: equal within bf16's rounding of each probability.
TEST(SoftmaxBf16, FollowsTorch) {
  torch::manual_seed(4);
  for (int64_t n : {1, 77, 256}) {
    auto scores = (torch::randn({3, 5, n}) * torch::linspace(0.1, 40, 5).view({1, 5, 1}))
                      .to(torch::kBFloat16);
    const auto want = scores.to(torch::kFloat32).softmax(-1);
    const auto got = nn::softmax_bf16_(scores.clone()).to(torch::kFloat32);
    EXPECT_LE((got - want).abs().max().item<double>(), 1.0 / 256) << n;
    EXPECT_LT(((got - want).abs() / want.clamp_min(1e-30)).max().item<double>(), 1.0 / 128) << n;
    EXPECT_LT((got.sum(-1) - 1).abs().max().item<double>(), 0.02) << n;
  }
}

// oneDNN's attention in bf16 and fp32 against torch's fp32 attention, on the shapes the models
// run: self-attention over 256 tokens, cross-attention over 77 text tokens given as a
// transposed view (as projected text keys are), and a tiny head. Heads come out merged,
// [B, S, H * D].
TEST(AttentionProducts, FollowTorchsAttention) {
  torch::manual_seed(6);
  for (const auto &[s, t, d] :
       {std::make_tuple(256, 256, 64), std::make_tuple(256, 77, 64), std::make_tuple(5, 7, 8)}) {
    const int64_t b = 2, h = 3;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    auto q = torch::randn({b, h, s, d}), v = torch::randn({b, h, t, d});
    auto k = torch::randn({b, t, h, d}).transpose(1, 2);  // not contiguous
    const auto want = (torch::matmul(q, k.transpose(-1, -2)) * scale)
                          .softmax(-1)
                          .matmul(v)
                          .transpose(1, 2)
                          .reshape({b, s, h * d});
    for (const auto &[type, bound] :
         {std::make_pair(torch::kBFloat16, 0.02), std::make_pair(torch::kFloat32, 1e-5)}) {
      nn::AttentionProducts attention(scale, type);
      const auto got = attention(q.to(type), k.to(type), v.to(type));
      if (!got.defined()) GTEST_SKIP() << "no optimized kernel on this processor";
      ASSERT_EQ(got.sizes(), want.sizes());
      EXPECT_EQ(got.scalar_type(), type);
      EXPECT_LT(relative_error(got.to(torch::kFloat32), want), bound)
          << s << "x" << t << "x" << d << " " << type;
    }
  }
  // Shapes or types it does not take are declined, not computed wrong.
  nn::AttentionProducts attention(1.0f, torch::kBFloat16);
  auto q = torch::randn({2, 3, 4, 8}).to(torch::kBFloat16);
  EXPECT_FALSE(attention(q, q.narrow(0, 0, 1), q.narrow(0, 0, 1)).defined());
  EXPECT_FALSE(attention(q.to(torch::kFloat32), q, q).defined());
}

// The bf16 GroupNorm against fp32 on a map large enough for bf16 accumulation to fail.
TEST(GroupNormBf16, FollowsFp32OnLargeMaps) {
  torch::manual_seed(5);
  auto x = torch::randn({2, 16, 64, 64}) * 2 + 1;
  auto w = torch::rand({16}) + 0.5, b = torch::randn({16});
  const auto want = torch::group_norm(x, 8, w, b, 1e-6);
  const auto got = nn::group_norm_bf16(
      x.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast), 8, w, b, 1e-6);
  EXPECT_EQ(got.scalar_type(), torch::kBFloat16);
  EXPECT_LT((got.to(torch::kFloat32) - want).abs().max().item<double>(), 0.05);
  // NCHW input gives the same values.
  EXPECT_TRUE(nn::group_norm_bf16(x.to(torch::kBFloat16), 8, w, b, 1e-6).equal(got));
}

// The fused norm + modulation against libtorch's layer_norm / RMS formula followed by the
// modulation, on rows with a large mean (where a one-pass variance would cancel).
TEST(ModulatedNorm, FollowsLibtorchsNormThenModulation) {
  torch::manual_seed(6);
  const int64_t d = 96;
  auto x = torch::randn({2, 37, d}) * 3 + 40;
  auto w = torch::rand({d}) + 0.5, b = torch::randn({d});
  auto scale = torch::randn({2, d}) * 0.2, shift = torch::randn({2, d});
  const double eps = 1e-6;
  const auto modulate = [&](const torch::Tensor &n) {
    return n * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
  };
  const auto layer = modulate(torch::layer_norm(x, {d}, w, b, eps));
  const auto rms = modulate(x * torch::rsqrt(x.pow(2).mean(-1, true) + eps) * w);
  const auto got_layer = nn::modulated_norm(x, nn::NormKind::kLayer, w, b, eps, scale, shift);
  const auto got_rms = nn::modulated_norm(x, nn::NormKind::kRms, w, {}, eps, scale, shift);
  EXPECT_LT((got_layer - layer).abs().max().item<double>(), 2e-3);
  EXPECT_LT((got_rms - rms).abs().max().item<double>(), 2e-3);
  // Without weight and bias (elementwise_affine=False): the plain norm, modulated.
  const auto plain = modulate(torch::layer_norm(x, {d}, {}, {}, eps));
  EXPECT_LT((nn::modulated_norm(x, nn::NormKind::kLayer, {}, {}, eps, scale, shift) - plain)
                .abs()
                .max()
                .item<double>(),
            2e-3);
}

class PackedProduct : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {};

TEST_P(PackedProduct, AgreesWithFp32) {
  const auto [rows, in, out] = GetParam();
  torch::manual_seed(2);
  auto x = torch::randn({rows, in}), w = torch::randn({out, in}) * 0.05, b = torch::randn({out});
  const auto want = torch::linear(x, w, b);
  nn::PackedLinear bf16(w, b, nn::PackedType::kBFloat16), int8(w, b, nn::PackedType::kInt8);
  const auto got_bf16 = bf16.forward(x), got_int8 = int8.forward(x);
  ASSERT_EQ(got_bf16.sizes(), want.sizes());
  ASSERT_EQ(got_int8.sizes(), want.sizes());
  EXPECT_LT(relative_error(got_bf16, want), 0.01);
  EXPECT_LT(relative_error(got_int8, want), 0.02);
  // Leading dimensions pass through.
  EXPECT_EQ(int8.forward(x.view({1, rows, in})).sizes(), (std::vector<int64_t>{1, rows, out}));
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackedProduct,
                         ::testing::Values(std::make_tuple(512, 1024, 2816),
                                           std::make_tuple(77, 64, 128), std::make_tuple(3, 130, 7),
                                           std::make_tuple(1, 32, 64)));

// oneDNN's fp32 product on the layer's own weights against torch::linear: fp32 throughout,
// so equal to rounding; with and without bias, for many row counts on one layer.
TEST(Fp32Product, FollowsTorchLinear) {
  torch::manual_seed(7);
  const auto w = torch::randn({2816, 1024}) * 0.05, b = torch::randn({2816});
  nn::Fp32Product product;
  for (int64_t rows : {512, 77, 1}) {
    const auto x = torch::randn({rows, 1024});
    for (const auto &bias : {b, torch::Tensor()}) {
      const auto got = product(x, w, bias);
      if (!got.defined()) GTEST_SKIP() << "no optimized fp32 kernel on this processor";
      EXPECT_LT(relative_error(got, torch::linear(x, w, bias)), 1e-6) << rows;
    }
  }
}

TEST(PackedProduct, RefusesTheWrongWidth) {
  nn::PackedLinear p(torch::randn({4, 8}), {}, nn::PackedType::kInt8);
  try {
    p.forward(torch::randn({2, 9}));
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("9 features, expected 8"), std::string::npos);
  }
}

// The VQ's int8 convolution against fp32 on its shapes: 3x3 with padding 1, the encoder's
// stride-2 downsampling without padding, and a pointwise shortcut.
class PackedConvolution
    : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>> {};

TEST_P(PackedConvolution, AgreesWithFp32) {
  const auto [in, out, kernel, stride, padding] = GetParam();
  torch::manual_seed(5);
  auto x = torch::silu(torch::randn({2, in, 24, 20}) * 2);
  auto w = torch::randn({out, in, kernel, kernel}) * 0.05, b = torch::randn({out});
  const auto want = torch::conv2d(x, w, b, stride, padding);
  nn::PackedConv2d conv(w, b, stride, padding);
  const auto got = conv.forward(x.to(torch::kBFloat16));
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_EQ(got.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(got.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_LT(relative_error(got.to(torch::kFloat32), want), 0.02);
  // Without the bias the error is measured on the convolution alone.
  nn::PackedConv2d plain(w, {}, stride, padding);
  const auto want_plain = torch::conv2d(x, w, {}, stride, padding);
  EXPECT_LT(relative_error(plain.forward(x).to(torch::kFloat32), want_plain), 0.02);
  // A map of zeros gives the bias alone.
  const auto zeros = conv.forward(torch::zeros({1, in, 8, 8}));
  EXPECT_TRUE(torch::allclose(zeros.to(torch::kFloat32).amax({0, 2, 3}), b, 1e-2, 1e-2));
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackedConvolution,
                         ::testing::Values(std::make_tuple(128, 128, 3, 1, 1),
                                           std::make_tuple(64, 256, 3, 1, 1),
                                           std::make_tuple(32, 32, 3, 2, 0),
                                           std::make_tuple(256, 128, 1, 1, 0)));

// Video decodes regions of many sizes: their primitives share the weights of each layout
// instead of holding a copy each.
TEST(PackedConvolution, RegionsOfManySizesShareTheWeights) {
  nn::PackedConv2d conv(torch::randn({128, 128, 3, 3}), torch::randn({128}), 1, 1);
  const size_t plain = 128 * 128 * 9;
  for (int i = 0; i < 12; ++i) conv.forward(torch::randn({1, 128, 4 + 3 * i, 6 + 5 * i}));
  EXPECT_LE(conv.weight_bytes(), 4 * plain) << "12 map sizes";
}

// The upsampler folded into four 2x2 phase kernels computes what libtorch's nearest x2
// upsampling followed by the 3x3 convolution computes, borders included (odd sizes too).
TEST(ConvUpsample, PhasesEqualUpsamplingThenConvolving) {
  torch::manual_seed(7);
  torch::NoGradGuard no_grad;
  vq::ConvUpsample up(64);
  up->conv->weight.set_data(torch::randn({64, 64, 3, 3}) * 0.05);
  up->conv->bias.set_data(torch::randn({64}));
  const auto w = up->conv->weight.clone(), b = up->conv->bias.clone();
  const auto x = torch::silu(torch::randn({2, 64, 7, 10}) * 2);
  const auto want = torch::conv2d(torch::upsample_nearest2d(x, {14, 20}), w, b, 1, 1);
  up->fold_into_phases();
  ASSERT_FALSE(up->conv);
  const auto got = up->forward(x);
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-4)) << (got - want).abs().max().item<float>();
  // The phases as the int8 decoder packs them.
  up->phases->pack_int8_convolution();
  const auto packed = up->forward(x.to(torch::kBFloat16)).to(torch::kFloat32);
  ASSERT_EQ(packed.sizes(), want.sizes());
  EXPECT_LT(relative_error(packed, want), 0.02);
}

// The VQ packs a convolution, then converts the module's remaining parameters (its bias
// among them) to bf16 in place: the packed kernel must keep reading the bias it was given.
TEST(PackedConvolution, KeepsItsBiasWhenTheModuleConvertsIts) {
  torch::manual_seed(6);
  nn::Conv2d conv(nn::Conv2dOptions{64, 96, 3, 1, 1});
  torch::NoGradGuard no_grad;
  conv->weight.set_data(torch::randn({96, 64, 3, 3}) * 0.05);
  conv->bias.set_data(torch::randn({96}) * 3);
  const auto x = torch::silu(torch::randn({1, 64, 12, 12}));
  const auto want = torch::conv2d(x, conv->weight, conv->bias, 1, 1);
  conv->pack_int8_convolution();
  for (auto &p : conv->parameters()) p.set_data(p.to(torch::kBFloat16));
  EXPECT_LT(relative_error(conv->forward(x).to(torch::kFloat32), want), 0.02);
}

TEST(PackedConvolution, QuantizesWithinHalfAStepAndRefusesNaN) {
  // SiLU-like: mostly positive, a few small negatives.
  auto x = torch::silu(torch::randn({3000}) * 5).to(torch::kBFloat16);
  std::vector<uint8_t> q(3000);
  const auto a = nn::quantize_tensor_u8(
      reinterpret_cast<const uint16_t *>(x.data_ptr<at::BFloat16>()), 3000, q.data());
  const auto xf = x.to(torch::kFloat32);
  const float low = std::min(0.0f, xf.min().item<float>()), high = xf.max().item<float>();
  EXPECT_FLOAT_EQ(a.scale, (high - low) / 255.0f);
  EXPECT_EQ(a.zero_point, std::lround(-low / a.scale));
  for (int i = 0; i < 3000; ++i)
    ASSERT_LE(std::fabs((q[i] - a.zero_point) * a.scale - xf[i].item<float>()), a.scale * 0.5001f)
        << i;
  x[17] = std::numeric_limits<float>::quiet_NaN();
  nn::PackedConv2d conv(torch::randn({8, 4, 3, 3}), {}, 1, 1);
  EXPECT_THROW(conv.forward(x.view({1, 4, 25, 30})), Error);
  EXPECT_THROW(conv.forward(torch::zeros({1, 5, 8, 8})), Error);
}

// The tiny fixture checkpoint in each precision against itself in fp32: one transformer
// step's logits, then whole images.
class ModelPrecision : public ::testing::TestWithParam<Precision> {};

TEST_P(ModelPrecision, LogitsFollowFp32) {
  const auto dir = testing::data_dir() / "amused-tiny";
  auto fp32 = load_model(dir);
  LoadOptions options;
  options.precision = GetParam();
  auto fast = load_model(dir, options);
  EXPECT_EQ(describe(*fast).precision, to_string(GetParam()));
  EXPECT_EQ(describe(*fast).parameters, describe(*fp32).parameters);
  torch::InferenceMode guard;
  GenerateParams p;
  p.prompt = "a red car on a road";
  p.guidance_scale = 4.0;
  const int64_t grid = fp32->native_size() / fp32->vae_scale_factor();
  torch::manual_seed(3);
  auto latents = torch::randint(0, fp32->transformer()->config().codebook_size, {1, grid, grid});
  latents.masked_fill_(torch::rand({1, grid, grid}) < 0.5, fp32->scheduler_config().mask_token_id);
  auto want = pipeline::guided_logits(
      *fp32, pipeline::make_conditioning(*fp32, p, 1, fp32->native_size(), fp32->native_size()),
      latents);
  auto got = pipeline::guided_logits(
      *fast, pipeline::make_conditioning(*fast, p, 1, fast->native_size(), fast->native_size()),
      latents);
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_GT(cosine(got, want), GetParam() == Precision::kInt8 ? 0.99 : 0.995);

  Result a = text_to_image(*fp32, p), b = text_to_image(*fast, p);
  ASSERT_EQ(b.images.size(), 1u);
  EXPECT_EQ(b.images[0].width, a.images[0].width);
  EXPECT_EQ(b.tokens[0].ids.size(), a.tokens[0].ids.size());
}

// The VQ decoder of the fast precisions (bf16, channels-last) against fp32 on the shipped
// default model, whose 128x128 maps are large enough to expose an accumulation that a
// small map hides: the same tokens must decode to nearly the same pixels.
TEST_P(ModelPrecision, DecoderFollowsFp32OnTheDefaultModel) {
  auto fp32 = load_model(default_model_dir());
  LoadOptions options;
  options.precision = GetParam();
  auto fast = load_model(default_model_dir(), options);
  torch::InferenceMode guard;
  const int64_t grid = fp32->native_size() / fp32->vae_scale_factor();
  torch::manual_seed(4);
  auto tokens = torch::randint(0, fp32->transformer()->config().codebook_size, {1, grid, grid});
  auto want = pipeline::decode_tokens(*fp32, tokens), got = pipeline::decode_tokens(*fast, tokens);
  ASSERT_EQ(got.sizes(), want.sizes());
  const double mse = (got - want).pow(2).mean().item<double>();
  EXPECT_GT(10.0 * std::log10(1.0 / mse), 35.0) << "PSNR of the fast decode, dB";
  EXPECT_NEAR(got.mean().item<double>(), want.mean().item<double>(), 0.01);
}

INSTANTIATE_TEST_SUITE_P(Fast, ModelPrecision,
                         ::testing::Values(Precision::kBFloat16, Precision::kInt8),
                         [](const auto &info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace amused
