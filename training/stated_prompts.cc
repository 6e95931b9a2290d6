#include "training/stated_prompts.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>
#include <type_traits>

#include "amused.h"
#include "training/eval_metrics.h"

namespace amused::train {

namespace {

// The value of `E` named `text`, trying every value below `count`.
template <typename E>
bool parse_value(const std::string &text, int count, E *out) {
  for (int i = 0; i < count; ++i)
    if (scenes::name(static_cast<E>(i)) == text) {
      *out = static_cast<E>(i);
      return true;
    }
  return false;
}

template <typename E>
std::string names_of(int count) {
  std::string all;
  for (int i = 0; i < count; ++i)
    all += (i ? ", " : "") + std::string(scenes::name(static_cast<E>(i)));
  return all;
}

void state(StatedPrompt &p, const std::string &key, const std::string &value,
           const std::string &where) {
  auto bad_value = [&](const std::string &accepted) {
    return Error(where + ": " + key + "=" + value + ": expected one of " + accepted);
  };
  auto parse = [&](auto *field, int count) {
    using E = std::remove_pointer_t<decltype(field)>;
    if (!parse_value(value, count, field)) throw bad_value(names_of<E>(count));
  };
  scenes::SceneAttributes &a = p.expected;
  if (key == "time")
    parse(&a.time, scenes::kNumTimes);
  else if (key == "celestial")
    parse(&a.celestial, scenes::kNumCelestials);
  else if (key == "clouds") {
    if (value != "yes" && value != "no") throw bad_value("yes, no");
    a.clouds = value == "yes";
  } else if (key == "backdrop")
    parse(&a.backdrop, scenes::kNumBackdrops);
  else if (key == "ground")
    parse(&a.ground, scenes::kNumGrounds);
  else if (key == "subject")
    parse(&a.subject, scenes::kNumSubjectKinds);
  else if (key == "colour")
    parse(&a.colour, scenes::kNumColours);
  else if (key == "position")
    parse(&a.position, scenes::kNumPositions);
  else if (key == "size")
    parse(&a.size, scenes::kNumSizes);
  else
    throw Error(where + ": unknown key '" + key +
                "' (time, celestial, clouds, backdrop, ground, subject, colour, position, size)");
  // "subject" states both the subject's presence and its kind.
  const std::string index_key = key == "subject" ? "subject_kind" : key;
  if (p.stated[attribute_index(index_key)]) throw Error(where + ": " + key + " is stated twice");
  p.stated[attribute_index(index_key)] = true;
  if (key == "subject") p.stated[attribute_index("subject")] = true;
}

}  // namespace

std::vector<StatedPrompt> read_stated_prompts(const std::filesystem::path &file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot be read");
  std::vector<StatedPrompt> prompts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const std::string where = file.string() + ":" + std::to_string(number);
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0)
      throw Error(where + ": expected a prompt, a tab and its attributes");
    StatedPrompt p;
    p.prompt = line.substr(0, tab);
    std::istringstream fields(line.substr(tab + 1));
    std::string field;
    while (fields >> field) {
      const auto eq = field.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(where + ": '" + field + "' is not key=value");
      state(p, field.substr(0, eq), field.substr(eq + 1), where);
    }
    if (!p.stated[attribute_index("subject")] || p.expected.subject == scenes::SubjectKind::kNone) {
      for (const char *detail : {"colour", "position", "size"})
        if (p.stated[attribute_index(detail)])
          throw Error(where + ": " + detail + " is stated without a subject");
    }
    if (std::none_of(p.stated.begin(), p.stated.end(), [](bool s) { return s; }))
      throw Error(where + ": states no attribute");
    prompts.push_back(std::move(p));
  }
  if (prompts.empty()) throw Error(file.string() + ": no prompts");
  return prompts;
}

}  // namespace amused::train
