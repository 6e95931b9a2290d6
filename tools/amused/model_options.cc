#include "model_options.h"

#include <cctype>

#include "cli_error.h"

namespace amused::cli {

namespace {

// "cpu", "cuda" or "cuda:N". c10::Device's own parser also takes mps, xla, ... which this
// build cannot run; refusing them here gives a usage error instead of a load failure.
c10::Device parse_device(const std::string &text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text == "cuda") return c10::Device(c10::kCUDA);
  const std::string prefix = "cuda:";
  if (text.compare(0, prefix.size(), prefix) == 0 && text.size() > prefix.size() &&
      text.size() <= prefix.size() + 2) {
    bool digits = true;
    for (size_t i = prefix.size(); i < text.size(); ++i)
      digits = digits && std::isdigit(static_cast<unsigned char>(text[i]));
    if (digits)
      return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(std::stoi(text.substr(5))));
  }
  throw UsageError("--device: expected cpu, cuda or cuda:N, got '" + text + "'");
}

}  // namespace

void ModelOptions::add_to(OptionParser &parser) {
  parser.add_string("model", 'm', "DIR",
                    "checkpoint folder in the diffusers layout (default: the embedded model, or "
                    "$AMUSED_DEFAULT_MODEL)",
                    &model);
  parser.add_string("device", 0, "cpu|cuda[:N]", "device to run on (default: " + device + ")",
                    &device);
  parser.add_string("precision", 0, "fp32|bf16",
                    "fp32 matches diffusers exactly; bf16 runs the text encoder and transformer "
                    "matmuls in bfloat16 (default: " +
                        precision + ")",
                    &precision);
  parser.add_int("threads", 't', "N", "CPU threads (default: 0 = one per core)", &threads);
}

std::filesystem::path ModelOptions::dir() const {
  return model.empty() ? default_model_dir() : std::filesystem::path(model);
}

LoadOptions ModelOptions::load_options() const {
  LoadOptions options;
  options.device = parse_device(device);
  if (precision == "fp32")
    options.precision = Precision::kFloat32;
  else if (precision == "bf16")
    options.precision = Precision::kBFloat16;
  else
    throw UsageError("--precision: expected fp32 or bf16, got '" + precision + "'");
  if (threads < 0) throw UsageError("--threads: must be >= 0, got " + std::to_string(threads));
  return options;
}

std::shared_ptr<const Model> ModelOptions::load() const {
  const LoadOptions options = load_options();
  set_num_threads(threads);
  return load_model(dir(), options);
}

}  // namespace amused::cli
