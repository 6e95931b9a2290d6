// The subject and the ground. Ground rows are uniform across the image (all ground texture
// is horizontal or faint), so whatever differs from its row's median is the subject.
#include <algorithm>
#include <limits>
#include <queue>
#include <vector>

#include "training/scene_frame.h"
#include "training/scene_layout.h"

namespace amused::scenes {

namespace {

// A ground pixel belongs to the subject when it differs from its row's ground by more.
constexpr double kSubjectDistance = 40.0;
// Columns at each edge of the frame that tell a row's ground where a subject covers most of
// the row (units of the image height).
constexpr double kEdgeColumns = 0.04;
// Colour unmixing: a subject pixel is explained as t * colour + (1 - t) * ground with t at
// least this, so blurred (thin, small) subjects keep their colour.
constexpr double kMinCoverage = 0.35;
// Share of each side of the bounding box taken as a corner when measuring corner fill.
constexpr double kCornerSize = 0.2;

constexpr double kGroundTop = kHorizon + 0.015;
constexpr double kFarRows[2] = {kHorizon + 0.015, 0.57};
constexpr double kNearRows[2] = {0.8, 0.93};

// A map of the ground rows [y_top, y_end) over the frame's columns.
template <typename T>
struct RowMap {
  int x0 = 0, y0 = 0, w = 0, h = 0;
  std::vector<T> data;
  RowMap(int x0_, int y0_, int w_, int h_, T init)
      : x0(x0_), y0(y0_), w(w_), h(h_), data(size_t(w_) * h_, init) {}
  bool contains(int x, int y) const { return x >= x0 && x < x0 + w && y >= y0 && y < y0 + h; }
  T &at(int x, int y) { return data[size_t(y - y0) * w + (x - x0)]; }
  const T &at(int x, int y) const { return data[size_t(y - y0) * w + (x - x0)]; }
};

struct Blob {
  int x0 = 0, x1 = -1, y0 = 0, y1 = -1;  // inclusive bounding box
  std::vector<std::pair<int, int>> pixels;
};

// The largest 4-connected region of `mask`.
Blob largest_component(const RowMap<uint8_t> &mask) {
  RowMap<uint8_t> seen(mask.x0, mask.y0, mask.w, mask.h, 0);
  Blob best;
  for (int y = mask.y0; y < mask.y0 + mask.h; ++y) {
    for (int x = mask.x0; x < mask.x0 + mask.w; ++x) {
      if (!mask.at(x, y) || seen.at(x, y)) continue;
      Blob b;
      b.x0 = b.y0 = std::numeric_limits<int>::max();
      std::queue<std::pair<int, int>> q;
      q.push({x, y});
      seen.at(x, y) = 1;
      while (!q.empty()) {
        const auto [px, py] = q.front();
        q.pop();
        b.pixels.push_back({px, py});
        b.x0 = std::min(b.x0, px);
        b.x1 = std::max(b.x1, px);
        b.y0 = std::min(b.y0, py);
        b.y1 = std::max(b.y1, py);
        for (const auto &[dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
          const int nx = px + dx, ny = py + dy;
          if (mask.contains(nx, ny) && mask.at(nx, ny) && !seen.at(nx, ny)) {
            seen.at(nx, ny) = 1;
            q.push({nx, ny});
          }
        }
      }
      if (b.pixels.size() > best.pixels.size()) best = std::move(b);
    }
  }
  return best;
}

// Which palette colour, blended with the ground, explains the pixel best.
int unmix_colour(const Rgb &p, const Rgb &ground) {
  int best = 0;
  double best_residual = std::numeric_limits<double>::max();
  for (int c = 0; c < kNumColours; ++c) {
    const Rgb s = subject_colour(Colour(c));
    const Rgb d{s.r - ground.r, s.g - ground.g, s.b - ground.b};
    const double dd = d.r * d.r + d.g * d.g + d.b * d.b;
    const double proj =
        dd > 0 ? ((p.r - ground.r) * d.r + (p.g - ground.g) * d.g + (p.b - ground.b) * d.b) / dd
               : 1.0;
    const double t = std::clamp(proj, kMinCoverage, 1.05);
    const double residual = distance(p, mix(ground, s, t));
    if (residual < best_residual) {
      best_residual = residual;
      best = c;
    }
  }
  return best;
}

// Share of a rectangle [x0, x1) x [y0, y1) inside the blob.
double fill_of(const RowMap<uint8_t> &in, int x0, int x1, int y0, int y1) {
  int n = 0, total = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      ++total;
      n += in.contains(x, y) && in.at(x, y);
    }
  return total ? double(n) / total : 0.0;
}

// The ground colour of row y. It is the row's median wherever the subject covers less than
// half of the row, as in every drawn scene; a generated subject can be wider, and the median
// then takes the subject's colour (which made the ground at the sides the "subject"). Such a
// row is told by its two edges, which agree with each other and not with the median: a
// subject wide enough to reach both edges is not a subject.
Rgb ground_of_row(const Frame &f, int y) {
  const Rgb median = f.row_median(y);
  const int e = std::max(2, int(std::lround(kEdgeColumns * f.side())));
  const int xb = f.x_begin(), xe = f.x_end();
  const Rgb left = f.row_median(y, xb + e, xe), right = f.row_median(y, xb, xe - e);
  if (distance(left, right) <= kSubjectDistance && distance(median, left) > kSubjectDistance &&
      distance(median, right) > kSubjectDistance)
    return mix(left, right, 0.5);
  return median;
}

}  // namespace

void measure_subject_and_ground(const Frame &f, SceneMeasurements &m) {
  const int y_top = f.row(kGroundTop), y_end = f.side();
  const int xb = f.x_begin(), w = f.x_end() - xb, h = y_end - y_top;

  std::vector<Rgb> ground_row(h);
  RowMap<double> diff(xb, y_top, w, h, 0.0);
  RowMap<uint8_t> raw(xb, y_top, w, h, 0);
  for (int y = y_top; y < y_end; ++y) {
    ground_row[y - y_top] = ground_of_row(f, y);
    for (int x = xb; x < xb + w; ++x) {
      diff.at(x, y) = distance(f.at(x, y), ground_row[y - y_top]);
      raw.at(x, y) = diff.at(x, y) > kSubjectDistance;
    }
  }
  // 3x3 majority filter: removes speckle noise and fills pinholes.
  RowMap<uint8_t> mask(xb, y_top, w, h, 0);
  for (int y = y_top; y < y_end; ++y)
    for (int x = xb; x < xb + w; ++x) {
      int n = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx)
          n += raw.contains(x + dx, y + dy) && raw.at(x + dx, y + dy);
      mask.at(x, y) = n >= 5;
    }
  const Blob blob = largest_component(mask);
  m.subject_fraction = blob.pixels.size() / (double(f.side()) * f.side());

  int skip0 = 0, skip1 = 0;
  if (!blob.pixels.empty()) {
    RowMap<uint8_t> in(xb, y_top, w, h, 0);
    double sum_x = 0;
    for (const auto &[x, y] : blob.pixels) {
      in.at(x, y) = 1;
      sum_x += x;
    }
    m.subject_u = f.u(sum_x / blob.pixels.size());
    const int bw = blob.x1 - blob.x0 + 1, bh = blob.y1 - blob.y0 + 1;
    m.subject_width = double(bw) / f.side();
    m.subject_height = double(bh) / f.side();
    m.subject_fill = double(blob.pixels.size()) / (double(bw) * bh);
    // Bottom corners: a box stands on a full-width base, a ball touches the ground at a point.
    const int cw = std::max(1, int(std::lround(kCornerSize * bw)));
    const int ch = std::max(1, int(std::lround(kCornerSize * bh)));
    m.subject_corner_fill =
        std::max(fill_of(in, blob.x0, blob.x0 + cw, blob.y1 + 1 - ch, blob.y1 + 1),
                 fill_of(in, blob.x1 + 1 - cw, blob.x1 + 1, blob.y1 + 1 - ch, blob.y1 + 1));
    skip0 = blob.x0 - 2;
    skip1 = blob.x1 + 3;

    // Colour votes from the blob's interior (pixels whose 3x3 neighbourhood is all subject);
    // from every blob pixel if the blob is too thin to have an interior.
    std::array<int, kNumColours> votes{};
    int voters = 0;
    for (int pass = 0; pass < 2 && voters == 0; ++pass) {
      for (const auto &[x, y] : blob.pixels) {
        bool interior = true;
        for (int dy = -1; dy <= 1 && interior && pass == 0; ++dy)
          for (int dx = -1; dx <= 1 && interior; ++dx)
            interior = in.contains(x + dx, y + dy) && in.at(x + dx, y + dy);
        if (!interior) continue;
        ++votes[unmix_colour(f.at(x, y), ground_row[y - y_top])];
        ++voters;
      }
    }
    for (int c = 0; c < kNumColours; ++c) m.colour_votes[c] = double(votes[c]) / voters;
  }

  // Ground from its two bands, leaving out the subject's columns.
  const Rgb far = f.band_colour(kFarRows[0], kFarRows[1], skip0, skip1);
  const Rgb near = f.band_colour(kNearRows[0], kNearRows[1], skip0, skip1);
  double best = std::numeric_limits<double>::max();
  for (int g = 0; g < kNumGrounds; ++g) {
    const GroundColours proto = ground_colours(Ground(g), m.time);
    const double d = distance(far, proto.far) + distance(near, proto.near);
    if (d < best) {
      best = d;
      m.ground = Ground(g);
    }
  }
  m.ground_distance = best;
}

}  // namespace amused::scenes
