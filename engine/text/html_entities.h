// ftfy's table of HTML entities (HTML5 named references ending in ';' plus upper-case
// spellings of the lower-case ones), generated into html_entities.inc (internal header).
#pragma once

#include <optional>
#include <string_view>

namespace amused::text {

// `entity` is the whole reference, e.g. "&amp;" or "&EACUTE;". Returns its UTF-8 value.
std::optional<std::string_view> lookup_html_entity(std::string_view entity);

}  // namespace amused::text
