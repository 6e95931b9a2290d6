// Elementwise float arithmetic written so the compiler vectorizes the loops that call it
// without fast-math: no float comparisons (they keep a loop scalar under trapping math), no
// library calls. Always inlined, so each target clone (vector_clones.h) gets its own copy.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace amused::nn {

#define AMUSED_ALWAYS_INLINE inline __attribute__((always_inline))

AMUSED_ALWAYS_INLINE uint32_t float_bits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

AMUSED_ALWAYS_INLINE float bits_float(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// min(x, limit) for x, limit >= 0, on their bits (the integer order of non-negative floats is
// the numeric one).
AMUSED_ALWAYS_INLINE float min_nonnegative(float x, float limit) {
  return bits_float(std::min(float_bits(x), float_bits(limit)));
}

// e^-d for d >= 0 (0 beyond d = 87): Cephes' expf, 2^n from the exponent bits and a degree-5
// polynomial on the remainder; relative error below 2e-7.
AMUSED_ALWAYS_INLINE float exp_negative(float d) {
  const float x = -min_nonnegative(d, 87.0f);
  // n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low bits, no fraction.
  const float shifted = x * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const auto exponent = static_cast<int32_t>(float_bits(shifted) - 0x4B400000u) + 127;
  return p * bits_float(static_cast<uint32_t>(exponent) << 23);
}

AMUSED_ALWAYS_INLINE float bf16_to_float(uint16_t bits) {
  return bits_float(static_cast<uint32_t>(bits) << 16);
}

// Round to nearest even, as torch converts (finite values).
AMUSED_ALWAYS_INLINE uint16_t float_to_bf16(float x) {
  const uint32_t bits = float_bits(x);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// A key whose signed integer order is the float order (finite values).
AMUSED_ALWAYS_INLINE int32_t ordered_key(float x) {
  const auto bits = static_cast<int32_t>(float_bits(x));
  return bits ^ ((bits >> 31) & 0x7fffffff);
}

AMUSED_ALWAYS_INLINE float key_float(int32_t key) {
  return bits_float(static_cast<uint32_t>(key ^ ((key >> 31) & 0x7fffffff)));
}

// gelu(x) = x/2 (1 + erf(x / sqrt 2)), erf by Abramowitz and Stegun 7.1.26 (absolute error
// below 1.5e-7): arithmetic the compiler vectorizes, where ATen calls erf element by element.
AMUSED_ALWAYS_INLINE float gelu_erf(float x) {
  const float z = std::fabs(x) * 0.70710678118654752f;
  const float t = 1.0f / (1.0f + 0.3275911f * z);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float erf_abs = 1.0f - poly * t * exp_negative(z * z);
  return 0.5f * x * (1.0f + std::copysign(erf_abs, x));
}

}  // namespace amused::nn
