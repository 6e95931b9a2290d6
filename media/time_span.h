// A part of a media file's timeline, and the arithmetic that places frames and packets on it.
//
//   amused::media::TimeSpan span;
//   span.start_us = *amused::media::parse_seconds("12.5");   // from 12.5 s
//   span.duration_us = 4'000'000;                            // for 4 s
//
// Times are whole microseconds (exact for any decimal the user types with up to six places);
// the file's timeline starts where players start it (the container's start time), so one
// span means the same instant for every stream of a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace amused::media {

struct TimeSpan {
  int64_t start_us = 0;
  std::optional<int64_t> duration_us;  // unset: to the end of the file

  std::optional<int64_t> end_us() const {
    if (!duration_us) return std::nullopt;
    return start_us + *duration_us;
  }
  bool whole() const { return start_us == 0 && !duration_us; }
};

// Where something shown from `start` for `length` lands on a span's timeline, all in one time
// unit (a stream's ticks): `start` counted from the span's start (0 when it began before the
// span), `length` cut at the span's end. `span_end` is the span's length (unset: open).
struct Placed {
  int64_t start = 0;
  int64_t length = 0;
};
enum class Placement {
  kInside,  // shown within the span: see the Placed value
  kBefore,  // over before the span starts
  kAfter,   // starts at or after the span's end
};
inline Placement place(int64_t start, int64_t length, std::optional<int64_t> span_end,
                       Placed *out) {
  if (span_end && start >= *span_end) return Placement::kAfter;
  int64_t end = start + length;
  if (end <= 0) return Placement::kBefore;
  if (span_end && end > *span_end) end = *span_end;
  const int64_t from = start < 0 ? 0 : start;
  out->start = from;
  out->length = end - from;
  return Placement::kInside;
}

// "12", "12.5", ".25", "0.040" (decimal seconds, no sign, at most 6 decimals, at most ~11.5
// days) to microseconds; nullopt for anything else.
inline std::optional<int64_t> parse_seconds(std::string_view text) {
  int64_t whole = 0, frac = 0;
  int digits = 0, decimals = 0;
  bool dot = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      if (!dot) {
        if (++digits > 6) return std::nullopt;
        whole = whole * 10 + (c - '0');
      } else {
        if (++decimals > 6) return std::nullopt;
        frac = frac * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (digits + decimals == 0) return std::nullopt;
  for (int i = decimals; i < 6; ++i) frac *= 10;
  return whole * 1'000'000 + frac;
}

}  // namespace amused::media
