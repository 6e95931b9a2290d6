// Fuzzes the parsers of names and values typed by users or set as element properties:
// precision, cross-frame attention, camera motion, device (engine/names.cc), decimal
// seconds (--start, --duration), the command line's integer, seed, number and string flags
// (GOption plus our conversions, tools/amused/option_parser.cc) and frame rates (--fps,
// tools/amused/framerate.cc). The first byte picks the parser ('0'..'6', modulo 7), the rest
// is the text; for a command line, NUL bytes separate the arguments.
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "amused.h"
#include "cli_error.h"
#include "framerate.h"
#include "fuzz_util.h"
#include "media/time_span.h"
#include "option_parser.h"

namespace {

std::vector<std::string> split_nul(const std::string &text) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == '\0')
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

void parse(unsigned which, const std::string &text) {
  using namespace amused;
  switch (which) {
    case 0:
      FUZZ_CHECK(to_string(parse_precision(text)) == text);
      break;
    case 1:
      FUZZ_CHECK(to_string(parse_cross_frame_attention(text)) == text);
      break;
    case 2:
      FUZZ_CHECK(to_string(parse_camera_motion(text)) == text);
      break;
    case 3:
      FUZZ_CHECK(parse_device(text) == text);
      break;
    case 4: {
      // --start / --duration (media::parse_seconds): decimal seconds to microseconds.
      if (const auto us = media::parse_seconds(text)) {
        FUZZ_CHECK(*us >= 0);
        FUZZ_CHECK(std::fabs(static_cast<double>(*us) / 1e6 - std::strtod(text.c_str(), nullptr)) <
                   1e-6);
      }
      break;
    }
    case 5: {
      // An `amused video`-like command line: argv[1..] are the NUL-separated parts.
      cli::OptionParser p("amused fuzz", "Fuzzed options.");
      int frames = 24;
      uint64_t seed = 0;
      double strength = 0.5;
      std::optional<double> guidance;
      std::string prompt;
      bool flag = false;
      p.add_int("frames", 'n', "N", "frames", &frames);
      p.add_uint64("seed", 0, "N", "seed", &seed);
      p.add_double("strength", 0, "X", "strength", &strength);
      p.add_double("guidance-scale", 'g', "X", "guidance", &guidance);
      p.add_string("prompt", 'p', "TEXT", "prompt", &prompt);
      p.add_flag("no-audio", 0, "flag", &flag);
      std::vector<std::string> args = split_nul(text);
      args.insert(args.begin(), "amused-fuzz");
      std::vector<char *> argv;
      for (auto &a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      if (p.parse(static_cast<int>(args.size()), argv.data())) {
        FUZZ_CHECK(std::isfinite(strength));
        FUZZ_CHECK(!guidance || std::isfinite(*guidance));
      }
      break;
    }
    case 6: {
      // --fps: an accepted rate is in range, and a fraction keeps the typed numbers exactly.
      const auto r = cli::parse_framerate(text, "--fps");
      FUZZ_CHECK(r.valid() && r.value() <= cli::kMaxFramerate);
      if (const auto slash = text.find('/'); slash != std::string::npos)
        FUZZ_CHECK(r.num == std::stoi(text.substr(0, slash)) &&
                   r.den == std::stoi(text.substr(slash + 1)));
      else
        FUZZ_CHECK(std::fabs(r.value() - std::strtod(text.c_str(), nullptr)) <= 0.00051);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const unsigned which = static_cast<uint8_t>(data[0] - '0') % 7;
  const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
  try {
    parse(which, text);
  } catch (const amused::Error &e) {
    amused::fuzz::rejected(e);
    // An unknown name: refused with the accepted ones.
  } catch (const amused::cli::UsageError &e) {
    amused::fuzz::rejected(e);
    // A malformed flag value: refused naming the flag.
  }
  return 0;
}
