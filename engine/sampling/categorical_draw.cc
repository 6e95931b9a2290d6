#include "sampling/categorical_draw.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/MT19937RNGEngine.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "amused.h"
#include "nn/vector_clones.h"

namespace amused::sampling {

namespace {

constexpr int kWords = at::MERSENNE_STATE_N, kShift = at::MERSENNE_STATE_M;

// at::mt19937's outputs many at a time: the same state, twist and tempering, written as
// loops over the whole state so that the compiler vectorizes them.
class BulkMersenneTwister {
 public:
  explicit BulkMersenneTwister(const at::mt19937_data_pod &state) : s_(state) {}
  const at::mt19937_data_pod &state() const { return s_; }

  void fill(uint32_t *out, int64_t n) {
    while (n > 0) {
      // at::mt19937 twists when a draw finds left_ == 1, then hands out state_[0] and leaves
      // left_ == 624, next_ == 1: as if left_ were 625 before that draw.
      if (s_.left_ == 1) {
        twist(s_.state_.data());
        s_.left_ = kWords + 1;
        s_.next_ = 0;
      }
      const int64_t k = std::min<int64_t>(n, s_.left_ - 1);
      temper(s_.state_.data() + s_.next_, out, k);
      s_.next_ += static_cast<uint32_t>(k);
      s_.left_ -= static_cast<int>(k);
      out += k;
      n -= k;
    }
  }

 private:
  static uint32_t mix(uint32_t u, uint32_t v) {
    return (((u & at::UMASK) | (v & at::LMASK)) >> 1) ^ ((v & 1u) ? at::MATRIX_A : 0u);
  }

  AMUSED_VECTOR_CLONES
  static void twist(uint32_t *p) {
    for (int j = 0; j < kWords - kShift; ++j) p[j] = p[j + kShift] ^ mix(p[j], p[j + 1]);
    for (int j = kWords - kShift; j < kWords - 1; ++j)
      p[j] = p[j + kShift - kWords] ^ mix(p[j], p[j + 1]);
    p[kWords - 1] = p[kShift - 1] ^ mix(p[kWords - 1], p[0]);
  }

  AMUSED_VECTOR_CLONES
  static void temper(const uint32_t *state, uint32_t *out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t y = state[i];
      y ^= y >> 11;
      y ^= (y << 7) & 0x9d2c5680u;
      y ^= (y << 15) & 0xefc60000u;
      y ^= y >> 18;
      out[i] = y;
    }
  }

  at::mt19937_data_pod s_;
};

// libtorch's uniform double from two outputs (random64: the first is the high word), kept
// to 53 bits.
inline double uniform_from(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32 | low) & ((uint64_t{1} << 53) - 1);
  return static_cast<double>(bits) * (1.0 / static_cast<double>(uint64_t{1} << 53));
}

// Below this u, 1 - u loses enough of u in rounding that q >= u may not hold as computed;
// such entries (about 1 in 10^6) are always evaluated.
constexpr float kTinyUniform = 1e-6f;
// The bound p / u in float, against the exact float p / q: covers the rounding of u, of
// log(1 - u), of q to float and of the two divisions, with room to spare.
constexpr float kBoundSlack = 1.0001f;

// Upper bounds of p / q for one row (no logarithm), and the checks multinomial makes.
AMUSED_VECTOR_CLONES
void bound_ratios(const float *p, const uint32_t *bits, float *bound, int64_t k, bool &valid,
                  bool &all_zero) {
  bool ok = true, zero = true;
  for (int64_t i = 0; i < k; ++i) {
    const float u = static_cast<float>(uniform_from(bits[2 * i], bits[2 * i + 1]));
    ok &= p[i] >= 0.0f && p[i] < std::numeric_limits<float>::infinity();
    zero &= p[i] == 0.0f;
    bound[i] = u < kTinyUniform ? std::numeric_limits<float>::infinity() : p[i] / u * kBoundSlack;
  }
  valid = ok;
  all_zero = zero;
}

// p / q exactly as libtorch computes it: q = -1/lambda * log(1 - u) in double, then float.
inline float exact_ratio(float p, uint32_t high, uint32_t low) {
  const double u = uniform_from(high, low);
  const auto q = static_cast<float>(-1.0 / 1.0 * std::log(1.0 - u));
  return p / q;
}

// argmax's choice among the entries that can still win: the largest, the first of equals,
// a NaN (0 / 0 when u rounds 1 - u to 1 and p is 0) before any number.
int64_t winner(const float *p, const uint32_t *bits, const float *bound, int64_t k) {
  const int64_t lead = std::max_element(bound, bound + k) - bound;
  const float floor = exact_ratio(p[lead], bits[2 * lead], bits[2 * lead + 1]);
  int64_t best = -1;
  float best_ratio = 0.0f;
  bool best_nan = false;
  for (int64_t i = 0; i < k && !best_nan; ++i) {
    if (!(bound[i] >= floor)) continue;
    const float r = exact_ratio(p[i], bits[2 * i], bits[2 * i + 1]);
    if (std::isnan(r)) {
      best = i;
      best_nan = true;
    } else if (best < 0 || r > best_ratio) {
      best = i;
      best_ratio = r;
    }
  }
  // The lead itself always qualifies (bound >= its exact ratio), unless that ratio is NaN.
  return best >= 0 ? best : lead;
}

}  // namespace

at::Tensor draw_categorical(const at::Tensor &probs, at::Generator &generator) {
  if (probs.dim() != 2 || probs.scalar_type() != at::kFloat || !probs.is_cpu())
    throw Error("draw_categorical: expected [rows, K] float32 probabilities on the CPU, got " +
                std::string(probs.toString()) + " of " + std::to_string(probs.dim()) +
                " dimensions");
  // MKL builds draw exponentials another way (a seed taken from the generator).
  if (at::globalContext().hasMKL() || generator.device().type() != at::kCPU)
    return torch::multinomial(probs, 1, false, generator);

  const auto p = probs.contiguous();
  const int64_t rows = p.size(0), k = p.size(1);
  std::vector<uint32_t> bits(static_cast<size_t>(rows * k * 2));
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    auto *cpu = at::check_generator<at::CPUGeneratorImpl>(generator);
    at::mt19937 engine = cpu->engine();
    BulkMersenneTwister twister(engine.data());
    twister.fill(bits.data(), static_cast<int64_t>(bits.size()));
    engine.set_data(twister.state());
    cpu->set_engine(engine);
  }

  auto out = torch::empty({rows, 1}, torch::kLong);
  int64_t *chosen = out.data_ptr<int64_t>();
  const float *base = p.data_ptr<float>();
  std::vector<char> invalid(static_cast<size_t>(rows), 0);
  at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
    std::vector<float> bound(static_cast<size_t>(k));
    for (int64_t row = begin; row < end; ++row) {
      const float *prow = base + row * k;
      const uint32_t *brow = bits.data() + row * k * 2;
      bool valid = false, all_zero = false;
      bound_ratios(prow, brow, bound.data(), k, valid, all_zero);
      if (!valid || all_zero) {
        invalid[static_cast<size_t>(row)] = valid ? 2 : 1;
        continue;
      }
      chosen[row] = winner(prow, brow, bound.data(), k);
    }
  });
  for (int64_t row = 0; row < rows; ++row) {
    if (invalid[static_cast<size_t>(row)] == 1)
      throw Error("sampling: row " + std::to_string(row) +
                  " of the token probabilities holds NaN, infinite or negative values");
    if (invalid[static_cast<size_t>(row)] == 2)
      throw Error("sampling: row " + std::to_string(row) + " of the token probabilities sums to 0");
  }
  return out;
}

}  // namespace amused::sampling
