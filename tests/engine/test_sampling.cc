// The scheduler's token draw against libtorch's own: draw_categorical must pick what
// torch::multinomial(probs, 1) picks from the same generator, and leave the generator where
// multinomial leaves it, for any distribution and any point in the generator's stream.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <string>

#include "amused.h"
#include "sampling/categorical_draw.h"

namespace amused::sampling {
namespace {

at::Generator seeded(uint64_t seed, int64_t draws_before) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  // Moves the stream off a state boundary, as earlier steps of a generation do.
  if (draws_before > 0) torch::rand({draws_before}, g);
  return g;
}

void expect_same_draw(const torch::Tensor &probs, uint64_t seed, int64_t draws_before) {
  auto theirs = seeded(seed, draws_before), ours = seeded(seed, draws_before);
  const auto expected = torch::multinomial(probs, 1, false, theirs);
  const auto got = draw_categorical(probs, ours);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_TRUE(torch::equal(got, expected))
      << "seed " << seed << ", " << draws_before
      << " draws before: " << (got != expected).sum().item<int64_t>() << " of " << got.size(0)
      << " rows differ";
  // The next draws from both generators are the same numbers.
  EXPECT_TRUE(torch::equal(torch::rand({1000}, theirs), torch::rand({1000}, ours)));
}

TEST(CategoricalDraw, MatchesMultinomialOnTheLogitsShape) {
  // amused-256's step: 256 tokens over a codebook of 8192, from softmaxes of several
  // sharpness (guided logits are sharp: most of the mass on a few codes).
  for (double sharpness : {1.0, 4.0, 12.0}) {
    const auto logits = torch::randn({256, 8192}, at::make_generator<at::CPUGeneratorImpl>(7));
    const auto probs = (logits * sharpness).softmax(-1);
    for (uint64_t seed : {0u, 1u, 1234u})
      for (int64_t before : {0, 1, 623, 624, 5000}) expect_same_draw(probs, seed, before);
  }
}

TEST(CategoricalDraw, MatchesMultinomialOnEdgeDistributions) {
  // Uniform rows (every entry a candidate), one-hot rows, rows with zeros, tiny rows.
  expect_same_draw(torch::full({64, 8192}, 1.0f / 8192), 3, 0);
  auto one_hot = torch::zeros({32, 100});
  for (int64_t r = 0; r < 32; ++r) one_hot[r][(r * 37) % 100] = 1.0f;
  expect_same_draw(one_hot, 5, 11);
  auto sparse = torch::rand({48, 512}, at::make_generator<at::CPUGeneratorImpl>(2));
  sparse.masked_fill_(sparse < 0.9, 0.0);
  sparse.select(1, 0).fill_(0.5f);  // no row sums to zero
  expect_same_draw(sparse, 8, 3);
  expect_same_draw(torch::tensor({{0.25f, 0.75f}, {1.0f, 0.0f}, {0.0f, 2.0f}}), 9, 0);
  expect_same_draw(torch::rand({1, 3}) + 0.1, 10, 1);
}

void expect_refused(const torch::Tensor &probs, const std::string &message) {
  auto g = seeded(0, 0);
  try {
    draw_categorical(probs, g);
    ADD_FAILURE() << "accepted; expected: " << message;
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(CategoricalDraw, RefusesProbabilitiesMultinomialRefuses) {
  auto nan_row = torch::full({4, 16}, 1.0f / 16);
  nan_row[2][5] = std::numeric_limits<float>::quiet_NaN();
  expect_refused(nan_row, "row 2 of the token probabilities holds NaN");
  auto zero_row = torch::full({4, 16}, 1.0f / 16);
  zero_row[1].zero_();
  expect_refused(zero_row, "row 1 of the token probabilities sums to 0");
  auto negative = torch::full({2, 8}, 0.125f);
  negative[0][0] = -0.125f;
  expect_refused(negative, "row 0 of the token probabilities holds NaN, infinite or negative");
  expect_refused(torch::ones({8}), "expected [rows, K] float32 probabilities");
}

}  // namespace
}  // namespace amused::sampling
