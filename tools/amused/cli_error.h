// How the `amused` command reports failure: exit statuses and the one-line error message.
#pragma once

#include <stdexcept>
#include <string>

namespace amused::cli {

// Exit statuses, as most Unix tools use them: 2 when the command line is wrong (the user
// must change what they typed), 1 when a well-formed request failed at run time.
constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// A bad command line: unknown flag, malformed or out-of-range value, contradictory flags.
// The message names the flag. main() turns it into exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Engine and file errors may span several lines (e.g. every bad tensor of a checkpoint);
// the command prints exactly one line, so scripts can grep or forward it.
std::string one_line(const std::string &message);

}  // namespace amused::cli
