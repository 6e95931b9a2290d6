// A frame rate or time base as an exact fraction, without pulling FFmpeg headers into callers.
#pragma once

namespace amused::media {

struct Rational {
  int num = 0;
  int den = 1;

  double value() const { return den != 0 ? static_cast<double>(num) / den : 0.0; }
  bool valid() const { return num > 0 && den > 0; }
};

inline bool operator==(Rational a, Rational b) {
  // Compare as fractions so 16/2 == 8/1.
  return static_cast<long long>(a.num) * b.den == static_cast<long long>(b.num) * a.den;
}
inline bool operator!=(Rational a, Rational b) { return !(a == b); }

}  // namespace amused::media
