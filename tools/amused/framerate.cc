#include "framerate.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <optional>

#include "cli_error.h"

namespace amused::cli {

namespace {

// A whole string of decimal digits as a positive int; no sign, space or trailing text.
std::optional<int> positive_int(const std::string &text) {
  if (text.empty() || text.size() > 9) return std::nullopt;  // 9 digits fit an int
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  const int value = std::stoi(text);
  return value > 0 ? std::optional<int>(value) : std::nullopt;
}

std::optional<media::Rational> parse(const std::string &text) {
  if (const auto slash = text.find('/'); slash != std::string::npos) {
    const auto num = positive_int(text.substr(0, slash));
    const auto den = positive_int(text.substr(slash + 1));
    if (!num || !den) return std::nullopt;
    return media::Rational{*num, *den};
  }
  // strtod alone would take leading spaces, hex, "inf" and "nan".
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
    return std::nullopt;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  char *end = nullptr;
  errno = 0;
  const double f = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !(f > 0) || f > kMaxFramerate)
    return std::nullopt;
  media::Rational r{static_cast<int>(std::lround(f * 1000)), 1000};
  const int g = std::gcd(r.num, r.den);
  if (g == 0) return std::nullopt;
  r.num /= g;
  r.den /= g;
  return r;
}

}  // namespace

media::Rational parse_framerate(const std::string &text, const char *flag) {
  const auto r = parse(text);
  if (!r || !r->valid() || r->value() > kMaxFramerate)
    throw UsageError(std::string(flag) + ": '" + text + "' is not a frame rate in (0, " +
                     std::to_string(kMaxFramerate) + "]");
  return *r;
}

}  // namespace amused::cli
