// Prompts with the attributes they state, read from a file written by hand (free phrasing:
// synonyms, full sentences, attributes left out), to score prompt adherence beyond the
// caption grammar the model was trained on. Only the stated attributes are checked.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "training/scene_attributes.h"

namespace amused::train {

struct StatedPrompt {
  std::string prompt;
  scenes::SceneAttributes expected;  // unstated attributes keep their defaults
  std::array<bool, 10> stated{};     // in kAttributeNames order
};

// Lines "prompt<TAB>key=value key=value ..."; '#' lines and blank lines are skipped. Keys:
// time, celestial, clouds (yes/no), backdrop, ground, subject, colour, position, size, with
// the attribute value names (scene_attributes.h). Colour, position and size need a subject.
// Throws amused::Error naming the file, line and the key or value at fault.
std::vector<StatedPrompt> read_stated_prompts(const std::filesystem::path &file);

}  // namespace amused::train
