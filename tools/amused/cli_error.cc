#include "cli_error.h"

namespace amused::cli {

std::string one_line(const std::string &message) {
  std::string out;
  out.reserve(message.size());
  bool pending_separator = false;
  for (char c : message) {
    if (c == '\n' || c == '\r') {
      pending_separator = !out.empty();
      continue;
    }
    if (pending_separator) {
      // Continuation lines are indented lists; fold them into "; item".
      if (c == ' ' || c == '\t') continue;
      const char last = out.back();
      out += (last == ':' || last == ';') ? " " : "; ";
      pending_separator = false;
    }
    out += c;
  }
  return out;
}

}  // namespace amused::cli
