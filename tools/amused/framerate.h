// --fps: a frame rate as typed on the command line, "30", "29.97" or "30000/1001".
#pragma once

#include <string>

#include "media/rational.h"

namespace amused::cli {

// The highest rate accepted, frames per second.
constexpr int kMaxFramerate = 240;

// Throws UsageError naming `flag` unless `text` is a positive rate of at most kMaxFramerate:
// a decimal number (kept to a thousandth) or num/den with positive integers.
media::Rational parse_framerate(const std::string &text, const char *flag);

}  // namespace amused::cli
