// Video consistency benchmark: the same prompt, seed and camera path rendered in three
// modes — independent frames (no cross-frame attention, no token reuse), cross-frame
// attention only, and the full method (cross-frame attention + boundary re-masking) — with
// frames per second and the consistency metrics of amused.h for each. Writes a contact
// sheet (PNG) and a per-frame plot of the shared-region error (SVG). The full method runs
// at each of --speeds and each of --min-steps (the fewest steps a partial frame takes).
// --restyle DIR restyles the PNG frames in DIR instead, every frame from scratch beside
// regenerating only changed tokens. --profile adds where the full method's time goes;
// --full-only leaves out the two baselines (speed-ups are then against the first row);
// --decode-check measures how far a windowed VQ decode is from a full one.
// Prints figures; never passes or fails.
//
//   amused-bench-video [--model DIR | --config DIR] [--frames 48] [--speeds 2[,4,...]]
//                      [--min-steps 3[,1,...]] [--prompt TEXT] [--seed N] [--guidance G]
//                      [--precision fp32|bf16|int8] [--threads N] [--profile] [--full-only]
//                      [--decode-check] [--out DIR]
//   amused-bench-video --restyle DIR [--model DIR] [--prompt TEXT] [--strength 0.6] ...
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "amused.h"
#include "amused_build_config.h"
#include "lab/amused_lab.h"
#include "media/image_io.h"
#include "nn/layers.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "util/profiler.h"
#include "util/thread_scope.h"
#include "video/window.h"

namespace {

using namespace amused;
namespace fs = std::filesystem;

struct Mode {
  const char *name;
  CrossFrameAttention cfa;
  bool reuse;
};

constexpr Mode kModes[] = {
    {"independent", CrossFrameAttention::kNone, false},
    {"cross-frame attention", CrossFrameAttention::kFirst, false},
    {"cross-frame attention + re-masking", CrossFrameAttention::kFirst, true},
};

struct ModeResult {
  std::string label;
  std::vector<Frame> frames;
  std::vector<double> shared_error;  // per frame (from the second)
  double seconds = 0;
  double token_change = 0;
  int token_pairs = 0;
  double seam_ratio = 0;
  int seam_frames = 0;
  double regenerated = 0;  // fraction of the tokens, mean over frames after the first
  std::vector<Profiler::Entry> profile;
};

std::vector<double> split_numbers(const std::string &list) {
  std::vector<double> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stod(item));
  return out;
}

void print_profile(const ModeResult &r) {
  double total = 0;
  for (const auto &e : r.profile) total += e.seconds;
  std::printf(
      "\n| %s, by part (frames after the first) | seconds per frame | share |\n"
      "|---|---|---|\n",
      r.label.c_str());
  const double frames = static_cast<double>(r.frames.size() - 1);
  for (const auto &e : r.profile)
    std::printf("| %s | %.4f | %.1f%% |\n", e.name.c_str(), e.seconds / frames,
                100.0 * e.seconds / total);
}

std::shared_ptr<const Model> random_model(const fs::path &config, Precision precision) {
  using checkpoint::JsonConfig;
  LoadOptions options;
  options.precision = precision;
  auto model = lab::create_model(
      fs::path(AMUSED_TESTS_DATA_DIR) / "clip-tokenizer",
      text::ClipTextConfig::from_json(JsonConfig::load(config / "text_encoder/config.json")),
      transformer::UVit2DConfig::from_json(JsonConfig::load(config / "transformer/config.json")),
      vq::VQConfig::from_json(JsonConfig::load(config / "vqvae/config.json")),
      sampling::SchedulerConfig::from_json(
          JsonConfig::load(config / "scheduler/scheduler_config.json")),
      0, options);
  model->prepare_for_inference();
  return model;
}

// Runs `count` frames of `next` (frame index -> frame), timing them; with `profile`, where
// the time of the frames after the first goes.
ModeResult timed_frames(const std::string &label, int count, bool profile,
                        const std::function<Frame(int)> &next) {
  ModeResult r;
  r.label = label;
  std::optional<Profiler> profiler;
  if (profile) profiler.emplace();
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < count; ++k) {
    r.frames.push_back(next(k));
    if (k == 0 && profiler) profiler->reset();
    const FrameStats &stats = r.frames.back().stats;
    if (k > 0)
      r.regenerated +=
          static_cast<double>(stats.tokens_regenerated) / stats.tokens_total / (count - 1);
    std::fprintf(stderr, "\r%s: frame %d/%d", label.c_str(), k + 1, count);
  }
  std::fprintf(stderr, "\n");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (profiler) r.profile = profiler->entries();
  return r;
}

ModeResult run(const std::shared_ptr<const Model> &model, const Mode &mode, VideoParams p,
               int frames, const std::string &label, bool profile) {
  p.consistency.cross_frame_attention = mode.cfa;
  p.consistency.reuse_tokens = mode.reuse;
  const int scale = describe(*model).vae_scale_factor;
  VideoSession session(model);
  ModeResult r =
      timed_frames(label, frames, profile, [&](int) { return session.generate_next(p); });
  for (int k = 1; k < frames; ++k) {
    const Frame &a = r.frames[k - 1], &b = r.frames[k];
    const int dx = static_cast<int>(b.stats.camera_x - a.stats.camera_x);
    const int dy = static_cast<int>(b.stats.camera_y - a.stats.camera_y);
    r.shared_error.push_back(video::shared_region_error(a.image, b.image, dx, dy));
    // Token grids move by whole tokens: compare them at the camera's token offset.
    auto tokens_of = [&](int64_t px) {
      return static_cast<int>(px >= 0 ? px / scale : -((-px + scale - 1) / scale));
    };
    r.token_change += video::shared_token_change(
        a.tokens, b.tokens, tokens_of(b.stats.camera_x) - tokens_of(a.stats.camera_x),
        tokens_of(b.stats.camera_y) - tokens_of(a.stats.camera_y));
    ++r.token_pairs;
    // The seam: the first visible column of the re-masked band at the right edge.
    if (mode.reuse && b.stats.tokens_regenerated > 0) {
      const int cols = b.tokens.cols;
      r.seam_ratio +=
          video::seam_error(b.image, scale, {cols - p.consistency.remask_boundary}, {}).ratio;
      ++r.seam_frames;
    }
  }
  return r;
}

double mean(const std::vector<double> &v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

void write_contact_sheet(const fs::path &file, const std::vector<ModeResult> &results,
                         int columns) {
  const Image &first = results[0].frames[0].image;
  const int w = first.width, h = first.height, gap = 4;
  const int frames = static_cast<int>(results[0].frames.size());
  const int stride = std::max(1, frames / columns);
  Image sheet;
  sheet.width = columns * (w + gap) - gap;
  sheet.height = static_cast<int>(results.size()) * (h + gap) - gap;
  sheet.pixels.assign(static_cast<size_t>(sheet.width) * sheet.height * 3, 255);
  for (size_t r = 0; r < results.size(); ++r)
    for (int c = 0; c < columns && c * stride < frames; ++c) {
      const Image &img = results[r].frames[c * stride].image;
      for (int y = 0; y < h; ++y)
        std::copy_n(
            &img.pixels[static_cast<size_t>(y) * w * 3], w * 3,
            &sheet.pixels[(static_cast<size_t>(r * (h + gap) + y) * sheet.width + c * (w + gap)) *
                          3]);
    }
  media::write_png(file, sheet);
}

// A line chart of the shared-region error per frame, one line per mode.
void write_plot(const fs::path &file, const std::vector<ModeResult> &results) {
  const char *colours[] = {"#d62728", "#ff7f0e", "#2ca02c", "#1f77b4"};
  const double width = 640, height = 320, left = 56, right = 16, top = 16, bottom = 40;
  double ymax = 1;
  for (const auto &r : results)
    for (double e : r.shared_error) ymax = std::max(ymax, e);
  const size_t n = results[0].shared_error.size();
  auto x_of = [&](size_t i) {
    return left + (width - left - right) * (n > 1 ? double(i) / (n - 1) : 0);
  };
  auto y_of = [&](double v) { return top + (height - top - bottom) * (1 - v / ymax); };
  std::ofstream svg(file);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' "
         "fill='white'/>\n";
  svg << "<line x1='" << left << "' y1='" << y_of(0) << "' x2='" << width - right << "' y2='"
      << y_of(0) << "' stroke='black'/>\n<line x1='" << left << "' y1='" << top << "' x2='" << left
      << "' y2='" << y_of(0) << "' stroke='black'/>\n";
  for (int t = 0; t <= 4; ++t) {
    const double v = ymax * t / 4;
    svg << "<text x='" << left - 6 << "' y='" << y_of(v) + 4 << "' text-anchor='end'>"
        << static_cast<int>(v + 0.5) << "</text>\n";
  }
  svg << "<text x='" << (left + width - right) / 2 << "' y='" << height - 8
      << "' text-anchor='middle'>frame</text>\n<text x='14' y='" << (top + height - bottom) / 2
      << "' transform='rotate(-90 14 " << (top + height - bottom) / 2
      << ")' text-anchor='middle'>shared-region error (0..255)</text>\n";
  for (size_t r = 0; r < results.size(); ++r) {
    svg << "<polyline fill='none' stroke='" << colours[r % 4] << "' stroke-width='2' points='";
    for (size_t i = 0; i < results[r].shared_error.size(); ++i)
      svg << x_of(i) << "," << y_of(results[r].shared_error[i]) << " ";
    svg << "'/>\n<text x='" << left + 10 << "' y='" << top + 14 + 14 * r << "' fill='"
        << colours[r % 4] << "'>" << results[r].label << "</text>\n";
  }
  svg << "</svg>\n";
}

}  // namespace

// Mean absolute change (0..255) between consecutive outputs where the source stayed still
// (every channel of the source pixel within 2/255 of the previous frame's): flicker.
double still_region_flicker(const std::vector<Image> &sources, const std::vector<Frame> &frames) {
  double sum = 0;
  size_t count = 0;
  for (size_t k = 1; k < frames.size(); ++k) {
    const auto &a = sources[k - 1].pixels, &b = sources[k].pixels;
    const auto &x = frames[k - 1].image.pixels, &y = frames[k].image.pixels;
    for (size_t i = 0; i + 2 < a.size(); i += 3) {
      bool still = true;
      for (int c = 0; c < 3; ++c) still = still && std::abs(int(a[i + c]) - int(b[i + c])) <= 2;
      if (!still) continue;
      for (int c = 0; c < 3; ++c) sum += std::abs(int(x[i + c]) - int(y[i + c]));
      count += 3;
    }
  }
  return count ? sum / count : 0;
}

ModeResult restyle(const std::shared_ptr<const Model> &model, const std::vector<Image> &sources,
                   StylizeParams p, bool reuse, const std::string &label, bool profile) {
  p.consistency.reuse_tokens = reuse;
  VideoSession session(model);
  return timed_frames(label, static_cast<int>(sources.size()), profile,
                      [&](int k) { return session.stylize_next(sources[k], p); });
}

// How far the decode of a band (what a partial frame pays for) is from a full decode, on the
// pixels that are used: a band of two token columns at the right edge and the seam token
// left of it, with the first decode's normalisation (as the session decodes). A window
// decoded with a halo of context tokens, and the region decode the session uses. Max and
// mean absolute difference in 8-bit levels, and the time of each (best of 3).
void print_decode_check(const Model &model, const Frame &frame) {
  torch::InferenceMode guard;
  const int64_t h = frame.tokens.rows, w = frame.tokens.cols, scale = model.vae_scale_factor();
  const auto tokens = torch::tensor(frame.tokens.ids).view({1, h, w}).to(model.device());
  nn::NormStats norms;
  norms.mode = nn::NormStats::Mode::kRecord;
  const auto full = pipeline::decode_tokens(model, tokens, &norms);
  norms.mode = nn::NormStats::Mode::kApply;
  auto band = torch::zeros({1, h, w}, torch::kBool);
  band.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(w - 2, w)}, true);
  const auto used = video::window_around(band, 1);
  auto best_of_3 = [](const std::function<torch::Tensor()> &decode, torch::Tensor *out) {
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      *out = decode();
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
  };
  auto report = [&](const std::string &what, const torch::Tensor &pixels, double seconds) {
    const auto diff =
        (video::crop(pixels, used, scale) - video::crop(full, used, scale)).abs() * 255;
    std::printf("| %s | %.2f | %.3f | %.4f |\n", what.c_str(), seconds * 1000,
                diff.max().item<double>(), diff.mean().item<double>());
  };
  torch::Tensor pixels;
  std::printf(
      "\n| decode of the band and its seam | ms | max difference | mean difference |\n"
      "|---|---|---|---|\n");
  const double full_s =
      best_of_3([&] { return pipeline::decode_tokens(model, tokens, &norms); }, &pixels);
  report("the whole grid", pixels, full_s);
  for (int halo : {2, 5}) {
    const auto window = video::window_around(band, 1 + halo);
    const double s = best_of_3(
        [&] {
          auto pasted = torch::zeros_like(full);
          return video::paste(pasted,
                              pipeline::decode_tokens(model, video::crop(tokens, window), &norms),
                              window, scale);
        },
        &pixels);
    report("a window with " + std::to_string(halo) + " tokens of halo", pixels, s);
  }
  const double region_s = best_of_3(
      [&] {
        auto pasted = torch::zeros_like(full);
        return video::paste(pasted, pipeline::decode_token_region(model, tokens, &norms, used),
                            used, scale);
      },
      &pixels);
  report("the region decode (what the session uses)", pixels, region_s);
}

std::vector<Image> read_frames(const fs::path &dir, int limit) {
  std::vector<fs::path> files;
  for (const auto &entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".png") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (limit > 0 && files.size() > static_cast<size_t>(limit)) files.resize(limit);
  if (files.empty()) throw Error("no PNG frames in " + dir.string());
  std::vector<Image> frames;
  for (const auto &f : files) frames.push_back(media::read_image(f));
  return frames;
}

int main(int argc, char **argv) {
  std::string model_dir, config, restyle_dir,
      prompt = "a large red car at the left on a road under a sunset sky with mountains";
  std::string out = "", precision = "fp32";
  int frames = 48, threads = 0;
  bool frames_given = false, prompt_given = false, profile = false, full_only = false,
       decode_check = false;
  std::vector<double> speeds{2}, min_steps{3};
  double strength = 0.6;
  std::optional<double> guidance;  // unset: the model's recommended scale
  uint64_t seed = 7;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "amused-bench-video: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    const std::string a = argv[i];
    if (a == "--model")
      model_dir = next();
    else if (a == "--config")
      config = next();
    else if (a == "--restyle")
      restyle_dir = next();
    else if (a == "--frames")
      frames = std::stoi(next()), frames_given = true;
    else if (a == "--speed" || a == "--speeds")
      speeds = split_numbers(next());
    else if (a == "--min-steps")
      min_steps = split_numbers(next());
    else if (a == "--strength")
      strength = std::stod(next());
    else if (a == "--prompt")
      prompt = next(), prompt_given = true;
    else if (a == "--guidance")
      guidance = std::stod(next());
    else if (a == "--seed")
      seed = std::stoull(next());
    else if (a == "--precision")
      precision = next();
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--profile")
      profile = true;
    else if (a == "--full-only")
      full_only = true;
    else if (a == "--decode-check")
      decode_check = true;
    else if (a == "--out")
      out = next();
    else {
      std::fprintf(stderr, "amused-bench-video: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  try {
    RuntimeOptions runtime;
    runtime.threads = threads;
    configure_runtime(runtime);
    const Precision prec = parse_precision(precision);  // fp32, bf16 or int8
    std::shared_ptr<const Model> model;
    std::string what;
    if (!config.empty()) {
      model = random_model(config, prec);
      what = fs::path(config).filename().string() + " architecture, random weights (timing only)";
    } else {
      LoadOptions o;
      o.precision = prec;
      model = load_model(model_dir.empty() ? default_model_dir() : fs::path(model_dir), o);
      what = model_dir.empty() ? "default model" : model_dir;
    }
    const ModelInfo info = describe(*model);
    ThreadScope thread_scope(threads);
    const int thread_count = at::get_num_threads();

    if (!restyle_dir.empty()) {
      const std::vector<Image> sources = read_frames(restyle_dir, frames_given ? frames : 0);
      StylizeParams p;
      p.generate.prompt = prompt_given ? prompt : "a watercolor painting";
      p.generate.seed = seed;
      p.generate.guidance_scale = guidance;
      p.strength = strength;
      std::vector<ModeResult> results;
      results.push_back(restyle(model, sources, p, false, "every frame from scratch", false));
      results.push_back(restyle(model, sources, p, true, "changed tokens only", profile));
      std::printf(
          "%s restyling %s: %zu frames of %dx%d, strength %g, guidance %g, %s, %d threads\n\n",
          what.c_str(), restyle_dir.c_str(), sources.size(), sources[0].width, sources[0].height,
          strength, guidance.value_or(info.default_guidance_scale), precision.c_str(),
          thread_count);
      std::printf(
          "| mode | frames/s | speed-up | tokens regenerated | still-region flicker (0..255) |\n");
      std::printf("|---|---|---|---|---|\n");
      const double base_fps = sources.size() / results[0].seconds;
      for (const auto &r : results) {
        const double fps = sources.size() / r.seconds;
        std::printf("| %s | %.3f | %.1fx | %.1f%% | %.2f |\n", r.label.c_str(), fps, fps / base_fps,
                    100.0 * r.regenerated, still_region_flicker(sources, r.frames));
      }
      if (profile) print_profile(results.back());
      return 0;
    }

    if (decode_check) {
      VideoSession session(model);
      VideoParams first;
      first.generate.prompt = prompt;
      first.generate.seed = seed;
      first.generate.guidance_scale = guidance;
      std::printf("%s: a windowed decode against a full decode of the same tokens\n", what.c_str());
      print_decode_check(*model, session.generate_next(first));
      return 0;
    }

    VideoParams p;
    p.generate.prompt = prompt;
    p.generate.seed = seed;
    p.generate.guidance_scale = guidance;
    p.camera_motion = CameraMotion::kPanRight;
    p.motion_speed = speeds.front();
    std::vector<ModeResult> results;
    for (const Mode &m : kModes) {
      if (!m.reuse) {
        if (!full_only) results.push_back(run(model, m, p, frames, m.name, false));
        continue;
      }
      for (double speed : speeds)
        for (double steps : min_steps) {
          VideoParams q = p;
          q.motion_speed = speed;
          q.min_steps = static_cast<int>(steps);
          char label[160];
          std::snprintf(label, sizeof label, "%s, %g px/frame%s", m.name, speed,
                        min_steps.size() > 1 || steps != 3
                            ? (", at least " + std::to_string(q.min_steps) + " steps").c_str()
                            : "");
          results.push_back(run(model, m, q, frames, label, profile));
        }
    }

    std::printf("%s, %dx%d (%d px a token), %d frames, pan-right, guidance %g, %s, %d threads\n\n",
                what.c_str(), info.native_width, info.native_height, info.vae_scale_factor, frames,
                guidance.value_or(info.default_guidance_scale), precision.c_str(), thread_count);
    std::printf(
        "| mode | frames/s | speed-up | tokens regenerated | shared-region error (0..255) | "
        "shared tokens changed | seam step ratio |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    const double base_fps = frames / results[0].seconds;
    const double base_err = mean(results[0].shared_error);
    for (const auto &r : results) {
      const double fps = frames / r.seconds, err = mean(r.shared_error);
      char seam[32] = "-";
      if (r.seam_frames) std::snprintf(seam, sizeof seam, "%.2f", r.seam_ratio / r.seam_frames);
      std::printf("| %s | %.3f | %.1fx | %.1f%% | %.2f (%.0fx lower) | %.1f%% | %s |\n",
                  r.label.c_str(), fps, fps / base_fps, 100.0 * r.regenerated, err,
                  err > 0 ? base_err / err : 0.0,
                  r.token_pairs ? 100.0 * r.token_change / r.token_pairs : 0.0, seam);
    }
    if (profile)
      for (const auto &r : results)
        if (!r.profile.empty()) print_profile(r);
    if (!out.empty()) {
      fs::create_directories(out);
      write_contact_sheet(fs::path(out) / "video-modes.png", results, 6);
      write_plot(fs::path(out) / "video-shared-error.svg", results);
      std::printf(
          "\nwrote %s/video-modes.png (rows: the modes above; every %dth frame) and "
          "%s/video-shared-error.svg\n",
          out.c_str(), std::max(1, frames / 6), out.c_str());
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "amused-bench-video: %s\n", e.what());
    return 1;
  }
  return 0;
}
