// amused-eval: the default model's figures as a markdown table, and a grid of generated
// images with their prompts.
//
//   amused-eval [--model DIR] [--grid docs/images/model-grid.png] [--prompts 200]
//               [--guidance G] [--steps 12] [--psnr-images 256] [--threads N]
//               [--precision fp32|bf16|int8] [--prompt-file FILE]
//
// (a) VQ reconstruction PSNR on held-out scenes, (b) prompt adherence on held-out attribute
// combinations (scene checker, fixed seeds; overall and per attribute), (c) the grid PNG.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "amused.h"
#include "lab/amused_lab.h"
#include "media/image_io.h"
#include "media/progress_bar.h"
#include "training/eval_grid.h"
#include "training/eval_metrics.h"
#include "training/omp_policy.h"
#include "training/photo_library.h"
#include "training/stated_prompts.h"

namespace {

using namespace amused;

struct Options {
  std::string model;
  std::string grid;
  std::string reconstructions;  // PNG: held-out scenes above their VQ reconstructions
  std::string dump;             // folder: every generated image and what the checker read
  int prompts = 200;
  int psnr_images = 256;
  int steps = 12;
  std::optional<double> guidance;  // unset: the model's own
  int grid_count = 16;
  int threads = 0;
  bool train_split = false;
  // Another draw of held-out prompts: a model or setting chosen on set 0 is confirmed on one
  // it was not chosen on.
  uint64_t prompt_set = 0;
  std::string prompt_file;
  // Real pictures through the VQ: frames of the sample clips, and the held-out fifth of the
  // wallpaper packages' pictures (training/setup.sh).
  std::string real_frames = "tests/data/footage";
  double temperature_start = 2.0, temperature_end = 0.0;
  Precision precision = Precision::kFloat32;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: amused-eval [--model DIR] [--grid FILE.png] [--prompts N] [--guidance G]\n"
               "                   [--steps N] [--psnr-images N] [--grid-count N] [--threads N]\n"
               "                   [--reconstructions FILE.png] [--train-split]\n"
               "                   [--temperature START,END] [--dump DIR] [--prompt-set N]\n"
               "                   [--precision fp32|bf16|int8] [--prompt-file FILE]\n"
               "                   [--real-frames DIR]\n"
               "Prints VQ PSNR on held-out scenes, on frames of the clips in --real-frames\n"
               "(default tests/data/footage: its five public clips) and on the held-out wallpaper "
               "pictures, and prompt adherence on held-out attribute\n"
               "combinations as a markdown table; --grid writes generated images with prompts.\n"
               "--prompts 0 measures the VQ only. The model defaults to the shipped one.\n"
               "--train-split scores prompts of training combinations instead (diagnostic).\n"
               "--dump writes each image (NNN.png) and checks.tsv: prompt, the checker's\n"
               "reading, the wrong attributes and the measurements behind them.\n"
               "--prompt-set N draws other held-out prompts (default 0, the README's).\n"
               "--prompt-file FILE scores the prompts of FILE instead, each on the attributes\n"
               "it states (training/prompts/free-phrasing.tsv: free phrasing).\n");
  std::exit(code);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--model")
      o.model = value();
    else if (a == "--grid")
      o.grid = value();
    else if (a == "--dump")
      o.dump = value();
    else if (a == "--reconstructions")
      o.reconstructions = value();
    else if (a == "--prompts")
      o.prompts = std::stoi(value());
    else if (a == "--psnr-images")
      o.psnr_images = std::stoi(value());
    else if (a == "--steps")
      o.steps = std::stoi(value());
    else if (a == "--guidance")
      o.guidance = std::stod(value());
    else if (a == "--grid-count")
      o.grid_count = std::stoi(value());
    else if (a == "--threads")
      o.threads = std::stoi(value());
    else if (a == "--temperature") {
      const std::string v = value();
      const size_t comma = v.find(',');
      if (comma == std::string::npos) usage(2);
      o.temperature_start = std::stod(v.substr(0, comma));
      o.temperature_end = std::stod(v.substr(comma + 1));
    } else if (a == "--prompt-file")
      o.prompt_file = value();
    else if (a == "--real-frames")
      o.real_frames = value();
    else if (a == "--prompt-set")
      o.prompt_set = std::stoull(value());
    else if (a == "--train-split")
      o.train_split = true;
    else if (a == "--precision")
      o.precision = parse_precision(value());
    else if (a == "--help" || a == "-h")
      usage(0);
    else
      usage(2);
  }
  if (o.prompts < 0 || o.psnr_images < 1 || o.steps < 1) usage(2);
  return o;
}

// One line per image: what it should show, what the checker read, and the measurements the
// reading was decided on (scene_checker.h), to tell a wrong image from a misread one.
void write_dump(const train::AdherenceResult &adherence, const std::filesystem::path &dir) {
  std::filesystem::create_directories(dir);
  std::ofstream tsv(dir / "checks.tsv");
  tsv << "index\tprompt\tread\twrong\tsubject_fraction\tsubject_u\tsubject_w\tsubject_h"
         "\tcorner_fill\tcolour_votes\tcloud_fraction\tcelestial_fraction\tbackdrop_fraction"
         "\tground_distance\n";
  for (size_t i = 0; i < adherence.samples.size(); ++i) {
    const auto &s = adherence.samples[i];
    char name[32];
    std::snprintf(name, sizeof name, "%03zu.png", i);
    media::write_png(dir / name, s.image);
    const auto m = scenes::measure_scene(s.image);
    tsv << i << '\t' << s.prompt << '\t' << s.check.read.to_caption() << '\t' << s.check.wrong()
        << '\t' << m.subject_fraction << '\t' << m.subject_u << '\t' << m.subject_width << '\t'
        << m.subject_height << '\t' << m.subject_corner_fill << '\t';
    for (double v : m.colour_votes) tsv << v << ' ';
    tsv << '\t' << m.cloud_fraction << '\t' << m.celestial_fraction << '\t' << m.backdrop_fraction
        << '\t' << m.ground_distance << '\n';
  }
  if (!tsv) throw Error((dir / "checks.tsv").string() + ": could not be written");
}

int run(const Options &o) {
  lab::use_process_threads(o.threads);
  const auto dir = o.model.empty() ? default_model_dir() : std::filesystem::path(o.model);
  LoadOptions load;
  load.precision = o.precision;
  auto model = load_model(dir, load);
  const ModelInfo info = describe(*model);

  const auto t0 = std::chrono::steady_clock::now();
  const auto psnr = train::vq_psnr(*model, o.psnr_images);
  std::optional<train::PsnrResult> footage_psnr, photo_psnr;
  if (!o.real_frames.empty() && std::filesystem::is_directory(o.real_frames))
    footage_psnr =
        train::vq_psnr_pictures(*model, train::clip_frames(train::sample_clips(o.real_frames), 8));
  try {
    const auto held_out =
        train::PhotoLibrary::load(train::default_photo_folders(), scenes::Split::kHeldout);
    std::vector<Image> pictures;
    for (size_t i = 0; i < held_out.size(); ++i) pictures.push_back(held_out.picture(i));
    photo_psnr = train::vq_psnr_pictures(*model, pictures);
  } catch (const Error &e) {
    std::cerr << "amused-eval: no held-out wallpaper pictures (" << e.what() << ")\n";
  }
  if (!o.reconstructions.empty()) train::write_reconstructions(*model, 8, o.reconstructions);
  train::AdherenceResult adherence;
  std::vector<train::StatedPrompt> stated;
  if (!o.prompt_file.empty()) stated = train::read_stated_prompts(o.prompt_file);
  if (!stated.empty()) {
    train::AdherenceOptions a;
    a.steps = o.steps;
    a.guidance_scale = o.guidance;
    a.temperature_start = o.temperature_start;
    a.temperature_end = o.temperature_end;
    media::ProgressBar bar("generating", static_cast<int>(stated.size()), {"image"});
    a.on_image = [&](int done, int) { bar.update(done); };
    adherence = train::stated_prompt_adherence(*model, stated, a);
  } else if (o.prompts > 0) {
    train::AdherenceOptions a;
    a.count = o.prompts;
    a.steps = o.steps;
    a.guidance_scale = o.guidance;
    a.prompt_seed = o.prompt_set;
    if (o.train_split) a.split = scenes::Split::kTrain;
    a.temperature_start = o.temperature_start;
    a.temperature_end = o.temperature_end;
    media::ProgressBar bar("generating", o.prompts, {"image"});
    a.on_image = [&](int done, int) { bar.update(done); };
    adherence = train::prompt_adherence(*model, a);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("Model `%s`: %dx%d, %lld parameters. Evaluated in %.0f s.\n\n", dir.c_str(),
              info.native_width, info.native_height, static_cast<long long>(info.parameters),
              seconds);
  std::printf("| metric | value |\n|---|---|\n");
  std::printf("| VQ reconstruction PSNR, %d held-out scenes (MSE over all) | %.2f dB |\n",
              psnr.images, psnr.psnr_db);
  std::printf("| VQ PSNR, mean of per-image / worst image | %.2f dB / %.2f dB |\n",
              psnr.mean_image_db, psnr.worst_image_db);
  if (footage_psnr)
    std::printf(
        "| VQ PSNR, %d frames of the clips in %s (mean of per-image / worst) "
        "| %.2f dB (%.2f / %.2f dB) |\n",
        footage_psnr->images, o.real_frames.c_str(), footage_psnr->psnr_db,
        footage_psnr->mean_image_db, footage_psnr->worst_image_db);
  if (photo_psnr)
    std::printf(
        "| VQ PSNR, %d held-out wallpaper pictures (mean of per-image / worst) "
        "| %.2f dB (%.2f / %.2f dB) |\n",
        photo_psnr->images, photo_psnr->psnr_db, photo_psnr->mean_image_db,
        photo_psnr->worst_image_db);
  if (!stated.empty()) {
    std::printf(
        "| prompt adherence, %d prompts of %s (%d steps, guidance %g, seeds 0..%d) "
        "| **%.1f%%** of %d stated attributes |\n",
        adherence.images, o.prompt_file.c_str(), o.steps,
        o.guidance.value_or(info.default_guidance_scale), adherence.images - 1,
        100.0 * adherence.fraction(), adherence.checked);
    for (size_t i = 0; i < train::kAttributeNames.size(); ++i)
      std::printf("| &nbsp;&nbsp;%s | %.1f%% (%d/%d) |\n", train::kAttributeNames[i],
                  100.0 * adherence.attribute_fraction(i), adherence.attribute_correct[i],
                  adherence.attribute_checked[i]);
    if (!o.dump.empty()) write_dump(adherence, o.dump);
    if (!o.grid.empty()) train::write_grid(adherence.samples, o.grid_count, 4, 2, o.grid);
    return 0;
  }
  if (o.prompts == 0) return 0;
  std::printf(
      "| prompt adherence, %d %s prompts%s (%d steps, guidance %g, seeds 0..%d) "
      "| **%.1f%%** of %d attributes |\n",
      adherence.images, o.train_split ? "train-split" : "held-out",
      o.prompt_set ? (" of set " + std::to_string(o.prompt_set)).c_str() : "", o.steps,
      o.guidance.value_or(info.default_guidance_scale), o.prompts - 1, 100.0 * adherence.fraction(),
      adherence.checked);
  for (size_t i = 0; i < train::kAttributeNames.size(); ++i)
    std::printf("| &nbsp;&nbsp;%s | %.1f%% (%d/%d) |\n", train::kAttributeNames[i],
                100.0 * adherence.attribute_fraction(i), adherence.attribute_correct[i],
                adherence.attribute_checked[i]);
  const auto baseline = train::prompt_ignoring_baseline(o.prompts, info.native_width, o.prompt_set);
  std::printf("| reference: perfect scenes that ignore the prompt | %.1f%% |\n",
              100.0 * baseline.fraction());
  const auto ceiling = train::vq_ceiling(*model, o.prompts, o.prompt_set);
  std::printf("| reference: the prompts' own scenes through the VQ (encode, decode) | %.1f%% |\n",
              100.0 * ceiling.fraction());
  for (size_t i = 0; i < train::kAttributeNames.size(); ++i)
    std::printf("| &nbsp;&nbsp;%s | %.1f%% |\n", train::kAttributeNames[i],
                100.0 * ceiling.attribute_fraction(i));
  if (!o.dump.empty()) write_dump(adherence, o.dump);
  if (!o.grid.empty()) {
    train::write_grid(adherence.samples, o.grid_count, 4, 2, o.grid);
    std::printf("\nGrid of the first %d prompts: %s\n", std::min(o.grid_count, o.prompts),
                o.grid.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  amused::train::reexec_with_passive_omp_wait(argv);
  try {
    return run(parse(argc, argv));
  } catch (const std::exception &e) {
    std::cerr << "amused-eval: " << e.what() << '\n';
    return 1;
  }
}
