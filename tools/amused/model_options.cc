#include "model_options.h"

#include "cli_error.h"
#include "video_options.h"

namespace amused::cli {

void ModelOptions::add_to(OptionParser &parser) {
  parser.add_string("model", 'm', "DIR",
                    "checkpoint folder in the diffusers layout (default: the embedded model, or "
                    "$AMUSED_DEFAULT_MODEL)",
                    &model);
  parser.add_string("device", 0, "cpu|cuda[:N]", "device to run on (default: " + device + ")",
                    &device);
  parser.add_string("precision", 0, "fp32|bf16|int8",
                    "fp32 matches diffusers exactly; bf16 runs the text encoder and transformer "
                    "in bfloat16; int8 the transformer's linear layers in int8 (default: " +
                        precision + ")",
                    &precision);
  parser.add_int("threads", 't', "N", "CPU threads (default: 0 = one per core)", &threads);
}

std::filesystem::path ModelOptions::dir() const {
  return model.empty() ? default_model_dir() : std::filesystem::path(model);
}

LoadOptions ModelOptions::load_options() const {
  LoadOptions options;
  options.device = parse_flag("--device", device, parse_device);
  options.precision = parse_flag("--precision", precision, parse_precision);
  if (threads < 0) throw UsageError("--threads: must be >= 0, got " + std::to_string(threads));
  return options;
}

std::shared_ptr<const Model> ModelOptions::load() const {
  const LoadOptions options = load_options();
  RuntimeOptions runtime;
  runtime.threads = threads;
  configure_runtime(runtime);
  return load_model(dir(), options);
}

void add_generate_options(OptionParser &p, GenerateParams &g, const GenerateHelp &help) {
  p.add_string("prompt", 'p', "TEXT", help.prompt, &g.prompt);
  p.add_string("negative-prompt", 'n', "TEXT",
               "what to steer away from, with guidance > 1 (default: empty)", &g.negative_prompt);
  p.add_uint64("seed", 0, "N", help.seed, &g.seed);
  p.add_int("steps", 's', "N", help.steps, &g.steps);
  p.add_double("guidance-scale", 'g', "F",
               "classifier-free guidance, on when > 1 (default: the model's: 1.75 for the "
               "default model, 10 for amused-256/512)",
               &g.guidance_scale);
}

}  // namespace amused::cli
