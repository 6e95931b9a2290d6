// Temporal-consistency metrics, one definition shared by tests, benchmarks and `amused
// video --metrics`. All pixel figures are in 8-bit levels (0..255).
#pragma once

#include <vector>

#include "amused.h"

namespace amused::video {

// Mean absolute difference between frame b and frame a over the region both show, after
// undoing the known camera move: b(x, y) is compared with a(x + dx, y + dy).
double shared_region_error(const Image &a, const Image &b, int dx, int dy);

// Fraction of tokens that differ over the shared region of two token grids, for camera
// moves of whole tokens (dx, dy in tokens).
double shared_token_change(const TokenGrid &a, const TokenGrid &b, int dx, int dy);

// Fraction of the tokens flagged `static_tokens` (row-major, rows*cols) that differ.
double token_flicker(const TokenGrid &a, const TokenGrid &b,
                     const std::vector<bool> &static_tokens);

// Mean absolute pixel difference over the tokens flagged static (token size `scale`).
double static_region_difference(const Image &a, const Image &b,
                                const std::vector<bool> &static_tokens, int scale);

// Tokens whose source pixels changed by more than `threshold` (mean absolute difference, 0..1).
std::vector<bool> changed_tokens(const Image &a, const Image &b, int scale, double threshold);

// How visible the seam between kept and regenerated tokens is: the mean absolute step
// between the two pixel lines on either side of the given token boundaries (column
// boundaries x = c * scale, row boundaries y = r * scale), against the same step at every
// other token boundary of the image. ratio ~1: the seam looks like any token edge.
struct SeamError {
  double seam_step = 0;
  double other_step = 0;
  double ratio = 0;
};
SeamError seam_error(const Image &image, int scale, const std::vector<int> &boundary_columns,
                     const std::vector<int> &boundary_rows);

}  // namespace amused::video
