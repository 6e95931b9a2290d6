#include "text/html_entities.h"

#include <algorithm>
#include <iterator>

namespace amused::text {
namespace {

struct Entry {
  std::string_view name;
  std::string_view value;
};

// The generated rows hold NUL-free strings, so string_view's literal constructor is exact.
constexpr Entry kEntities[] = {
#include "text/html_entities.inc"
};

}  // namespace

std::optional<std::string_view> lookup_html_entity(std::string_view entity) {
  auto it = std::lower_bound(std::begin(kEntities), std::end(kEntities), entity,
                             [](const Entry &e, std::string_view key) { return e.name < key; });
  if (it == std::end(kEntities) || it->name != entity) return std::nullopt;
  return it->value;
}

}  // namespace amused::text
