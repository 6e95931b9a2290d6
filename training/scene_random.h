// Deterministic randomness for the scene generator.
//
// Everything is derived from splitmix64 rather than <random>: the standard distributions are
// implementation-defined, and training data must be identical on every machine and compiler.
// Layout randomness is a pure hash of (seed, stream, index), so each scene element (clouds,
// mountains, the subject ...) draws from its own stream: changing one attribute never moves
// another element, and a panorama extends to the sides without disturbing the central frame.
#pragma once

#include <cstdint>

namespace amused::scenes {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from the top 53 bits.
inline double unit_from_bits(uint64_t bits) { return double(bits >> 11) * 0x1.0p-53; }

// Stateless hash: the same (seed, stream, index, k) always gives the same number in [0, 1).
inline double hash01(uint64_t seed, uint64_t stream, int64_t index, uint64_t k = 0) {
  uint64_t h = splitmix64(seed ^ splitmix64(stream));
  h = splitmix64(h ^ uint64_t(index));
  h = splitmix64(h ^ (k * 0xD6E8FEB86659FD93ull));
  return unit_from_bits(h);
}

// Uniform in [lo, hi) from the hash.
inline double hash_range(uint64_t seed, uint64_t stream, int64_t index, uint64_t k, double lo,
                         double hi) {
  return lo + (hi - lo) * hash01(seed, stream, index, k);
}

// Sequential generator for attribute sampling (where rejection loops need a stream).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return unit_from_bits(next()); }
  // Uniform integer in [0, n); the modulo bias is below 2^-50 for the small n used here.
  int below(int n) { return int(next() % uint64_t(n)); }
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t state_;
};

// Stream identifiers: one per scene element, fixed forever (changing them changes the data).
enum Stream : uint64_t {
  kStreamSky = 101,
  kStreamStars,
  kStreamCelestial,
  kStreamClouds,
  kStreamMountains,
  kStreamHills,
  kStreamTrees,
  kStreamCity,
  kStreamHouses,
  kStreamGround,
  kStreamSubject,
  kStreamTint,
};

}  // namespace amused::scenes
