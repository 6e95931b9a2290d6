// What a model folder recommends for generation, from `generation_config.json` at its root
// (a file diffusers does not read, so the folder stays a plain diffusers checkpoint).
//
// Real aMUSEd checkpoints have no such file and get diffusers' pipeline defaults; a small
// model trained for a different guidance scale says so here, and every caller that leaves
// the scale unset (GenerateParams::guidance_scale) gets the model's own.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace amused {

struct GenerationDefaults {
  double guidance_scale = 10.0;  // AmusedPipeline's default

  // Defaults when the file is absent; throws Error naming the file and key when it is
  // unreadable or a value is of the wrong type or out of range.
  static GenerationDefaults load(const std::filesystem::path &model_dir);
  nlohmann::json to_json() const;
};

}  // namespace amused
