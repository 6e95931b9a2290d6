// measure_scene(): the time of day from the top rows, then clouds, sun or moon and the
// backdrop above the horizon; the subject and the ground are in scene_measure_subject.cc.
//
// Regions are classified against the renderer's own palette by nearest colour. Pixels far
// from every candidate (blurred edges, noise, a model's smudges) vote for nothing, so they
// neither invent an element nor outvote a real one.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "training/scene_frame.h"
#include "training/scene_layout.h"

namespace amused::scenes {

namespace {

// A pixel votes for the nearest candidate colour only when it is at most this far from it.
constexpr double kMaxVoteDistance = 45.0;
// A global colour cast larger than this is not corrected (it is then an error of the image).
constexpr double kMaxCast = 25.0;

// Regions, in units of the image height.
constexpr double kTopRows = 0.05;  // clear sky above the clouds: the time of day
constexpr double kSkyRegionBottom = 0.42;
constexpr double kCloudRegionTop = kCloudTop - 0.03;
constexpr double kCloudRegionBottom = (kCloudBottom + kBackdropTop) / 2;
constexpr double kBackdropRegionTop = 0.3;
constexpr double kBackdropRegionBottom = kHorizon - 0.01;
// Around a detected sun or moon (at least this share of the frame), cloud-coloured pixels
// within this radius are its halo: the renderer keeps clouds further away.
constexpr double kMinDiscPixels = 0.001;
constexpr double kHaloRadius = 0.08;
// Only tall backdrops (mountains, a skyline) reach into [kBackdropRegionTop, this); houses,
// hills and trees stay below it even when blurred.
constexpr double kHighBandBottom = 0.34;

// Labels for nearest-colour votes.
enum Label : int {
  kUnknown = -1,
  kSky = 0,
  kCloud,
  kCelestial,
  kBackdropLabel0,  // + int(Backdrop)
  // Added to a label for a half-sky blend of its colour: evidence of presence, but blends of
  // different elements look alike, so only pure colours decide which backdrop it is.
  kBlendLabel = 100,
};

int element(int label) { return label >= kBlendLabel ? label - kBlendLabel : label; }

struct Candidate {
  Rgb colour;
  int label;
};

int nearest_label(const Rgb &p, const std::vector<Candidate> &cands) {
  double best = std::numeric_limits<double>::max();
  int label = kUnknown;
  for (const Candidate &c : cands) {
    const double d = distance(p, c.colour);
    if (d < best) {
      best = d;
      label = c.label;
    }
  }
  return best <= kMaxVoteDistance ? label : kUnknown;
}

// Everything that can appear at this time of day in the rows above kCloudRegionBottom
// (clouds) or below it (backdrops), except the sky. The layout keeps clouds and backdrops
// apart, which matters at night, when a cloud has the colour of a distant tower block.
std::vector<Candidate> above_horizon_candidates(TimeOfDay t, bool cloud_rows) {
  std::vector<Candidate> c;
  if (cloud_rows) {
    const Rgb cloud = cloud_colour(t), shade = cloud_shade_colour(t);
    c.push_back({cloud, kCloud});
    c.push_back({shade, kCloud});
    c.push_back({mix(cloud, shade, 0.5), kCloud});
  }
  if (t == TimeOfDay::kNight) {
    c.push_back({moon_colour(), kCelestial});
    c.push_back({scaled(moon_colour(), 0.9), kCelestial});
  } else {
    c.push_back({sun_colour(t), kCelestial});
  }
  const size_t fixed_end = c.size();
  for (int b = 1; b < kNumBackdrops && !cloud_rows; ++b) {
    for (const Rgb &col : backdrop_colours(Backdrop(b), t)) {
      c.push_back({col, kBackdropLabel0 + b});
    }
  }
  // Blends of two colours of one backdrop (a lit window a pixel wide, a roof edge against a
  // wall) are that backdrop too, unless they look like something else.
  const std::vector<Candidate> pure = c;
  for (size_t i = fixed_end; i < pure.size(); ++i) {
    for (size_t j = i + 1; j < pure.size(); ++j) {
      if (pure[i].label != pure[j].label) continue;
      const Rgb blend = mix(pure[i].colour, pure[j].colour, 0.5);
      bool ambiguous = false;
      for (const Candidate &o : pure) {
        ambiguous |= o.label != pure[i].label && distance(blend, o.colour) < kMaxVoteDistance;
      }
      if (!ambiguous) c.push_back({blend, pure[i].label});
    }
  }
  return c;
}

// Candidates of one row: the fixed ones, the row's sky, and half-sky blends of clouds and
// backdrops. A blurred cloud or backdrop is half sky along its whole outline, and a thin
// element (a fir, a house) can be mostly outline — unless the blend looks like something else
// (a house wall half in the night sky has the colour of a night skyline).
std::vector<Candidate> row_candidates(const std::vector<Candidate> &fixed, const Rgb &sky) {
  std::vector<Candidate> cands = fixed;
  cands.push_back({sky, kSky});
  for (const Candidate &c : fixed) {
    if (c.label != kCloud && c.label < kBackdropLabel0) continue;
    const Rgb blend = mix(c.colour, sky, 0.5);
    bool ambiguous = false;
    for (const Candidate &o : fixed) {
      ambiguous |= o.label != c.label && distance(blend, o.colour) < kMaxVoteDistance;
    }
    if (!ambiguous) cands.push_back({blend, c.label + kBlendLabel});
  }
  // Keep the sky first among equals: a colour as close to the sky as to anything else is sky.
  std::stable_partition(cands.begin(), cands.end(),
                        [](const Candidate &c) { return c.label == kSky; });
  return cands;
}

}  // namespace

void measure_time(Frame &f, SceneMeasurements &m) {
  // The clear sky at the top: clouds cover well under half of a row, so the row median is sky.
  const Rgb top = f.band_colour(0.0, kTopRows);
  double best = std::numeric_limits<double>::max();
  for (int t = 0; t < kNumTimes; ++t) {
    const double d = distance(top, sky_colour(TimeOfDay(t), kTopRows / 2));
    if (d < best) {
      best = d;
      m.time = TimeOfDay(t);
    }
  }
  m.sky_distance = best;
  // Whatever separates the observed sky from the palette is taken as a global cast.
  const Rgb expected = sky_colour(m.time, kTopRows / 2);
  f.set_cast({std::clamp(top.r - expected.r, -kMaxCast, kMaxCast),
              std::clamp(top.g - expected.g, -kMaxCast, kMaxCast),
              std::clamp(top.b - expected.b, -kMaxCast, kMaxCast)});
}

void measure_above_horizon(const Frame &f, SceneMeasurements &m) {
  const std::vector<Candidate> cloud_fixed = above_horizon_candidates(m.time, true);
  const std::vector<Candidate> band_fixed = above_horizon_candidates(m.time, false);
  const int rows = f.row(kBackdropRegionBottom);
  const int xb = f.x_begin(), w = f.x_end() - xb;
  std::vector<int> labels(size_t(w) * rows, kUnknown);
  for (int y = 0; y < rows; ++y) {
    const bool cloud_rows = f.v(y) < kCloudRegionBottom;
    const std::vector<Candidate> cands =
        row_candidates(cloud_rows ? cloud_fixed : band_fixed, sky_colour(m.time, f.v(y)));
    for (int x = 0; x < w; ++x) labels[size_t(y) * w + x] = nearest_label(f.at(xb + x, y), cands);
  }
  // A pixel counts when at least 4 of its 8 neighbours show the same element: clouds, discs
  // and backdrops are blobs, stars and stray edge pixels are not.
  auto supported = [&](int x, int y) {
    const int e = element(labels[size_t(y) * w + x]);
    int n = 0;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = x + dx, yy = y + dy;
        if ((dx || dy) && xx >= 0 && xx < w && yy >= 0 && yy < rows) {
          n += element(labels[size_t(yy) * w + xx]) == e;
        }
      }
    return n >= 4;
  };

  const double area = double(f.side()) * f.side();
  // The sun or moon first: clouds keep clear of it, so cloud-coloured pixels around it are
  // its blurred halo.
  int celestial = 0;
  double cx = 0, cy = 0;
  for (int y = 0; y < f.row(kSkyRegionBottom) && y < rows; ++y) {
    for (int x = 0; x < w; ++x) {
      if (element(labels[size_t(y) * w + x]) == kCelestial && supported(x, y)) {
        ++celestial;
        cx += x;
        cy += y;
      }
    }
  }
  const bool has_disc = celestial >= kMinDiscPixels * area;
  if (celestial > 0) {
    cx /= celestial;
    cy /= celestial;
  }
  const double halo = kHaloRadius * f.side();

  const int band_top = f.row(kBackdropRegionTop), high_bottom = f.row(kHighBandBottom);
  int clouds = 0, band_pixels = 0, backdrop_pixels = 0;
  int high_pixels = 0, high_backdrop = 0;
  std::array<int, kNumBackdrops> votes{};
  for (int y = 0; y < rows; ++y) {
    const double v = f.v(y);
    const bool cloud_rows = v >= kCloudRegionTop && v < kCloudRegionBottom;
    const bool in_band = y >= band_top, in_high = in_band && y < high_bottom;
    for (int x = 0; x < w; ++x) {
      band_pixels += in_band;
      high_pixels += in_high;
      const int label = labels[size_t(y) * w + x];
      const int e = element(label);
      if (label == kUnknown || e == kSky || !supported(x, y)) continue;
      if (e == kCloud && cloud_rows && !(has_disc && std::hypot(x - cx, y - cy) < halo)) {
        ++clouds;
      }
      if (in_band && e >= kBackdropLabel0) {
        ++backdrop_pixels;
        high_backdrop += in_high;
        if (label < kBlendLabel) ++votes[e - kBackdropLabel0];
      }
    }
  }
  m.cloud_fraction = clouds / area;
  m.celestial_fraction = celestial / area;
  for (int b = 0; b < kNumBackdrops; ++b) {
    m.backdrop_votes[b] = band_pixels ? double(votes[b]) / band_pixels : 0.0;
  }
  m.backdrop_fraction = band_pixels ? double(backdrop_pixels) / band_pixels : 0.0;
  m.backdrop_high_fraction = high_pixels ? double(high_backdrop) / high_pixels : 0.0;
}

SceneMeasurements measure_scene(const Image &image) {
  if (image.channels != 3 || image.width < 32 || image.height < 32 ||
      image.pixels.size() != size_t(image.width) * image.height * 3) {
    throw Error("scene checker needs a packed RGB image of at least 32x32, got " +
                std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                std::to_string(image.channels));
  }
  Frame f(image);
  SceneMeasurements m;
  measure_time(f, m);
  measure_above_horizon(f, m);
  measure_subject_and_ground(f, m);
  return m;
}

}  // namespace amused::scenes
