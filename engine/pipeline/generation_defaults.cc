#include "pipeline/generation_defaults.h"

#include "amused.h"
#include "checkpoint/json_config.h"

namespace amused {

GenerationDefaults GenerationDefaults::load(const std::filesystem::path &model_dir) {
  GenerationDefaults d;
  const auto file = model_dir / "generation_config.json";
  if (!std::filesystem::exists(file)) return d;
  const auto config = checkpoint::JsonConfig::load(file);
  d.guidance_scale = config.get_double("guidance_scale", d.guidance_scale);
  if (!(d.guidance_scale >= 0.0 && d.guidance_scale <= 100.0))
    throw Error(config.describe(
        "guidance_scale", "must be between 0 and 100, got " + std::to_string(d.guidance_scale)));
  return d;
}

nlohmann::json GenerationDefaults::to_json() const { return {{"guidance_scale", guidance_scale}}; }

}  // namespace amused
