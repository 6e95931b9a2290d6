// The flags every model-running subcommand shares (--model, --device, --precision,
// --threads) and loading the model they describe; and the generation flags (--prompt,
// --negative-prompt, --seed, --steps, --guidance-scale).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "amused.h"
#include "option_parser.h"

namespace amused::cli {

struct ModelOptions {
  std::string model;  // empty: amused::default_model_dir()
  std::string device = "cpu";
  std::string precision = "fp32";
  int threads = 0;  // 0: libtorch's default (one per core)

  void add_to(OptionParser &parser);

  // The folder to load; throws amused::Error when no --model is given and the default
  // model cannot be found.
  std::filesystem::path dir() const;
  // Checks --device/--precision/--threads; throws UsageError naming the flag.
  LoadOptions load_options() const;
  // Applies --threads, then loads. Engine failures (missing folder, broken checkpoint,
  // unavailable device) propagate as amused::Error, which names the file and reason.
  std::shared_ptr<const Model> load() const;
};

// What --prompt, --seed and --steps mean for one subcommand.
struct GenerateHelp {
  std::string prompt, seed, steps;
};
void add_generate_options(OptionParser &parser, GenerateParams &params, const GenerateHelp &help);

}  // namespace amused::cli
