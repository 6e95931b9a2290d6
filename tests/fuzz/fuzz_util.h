// Shared by the libFuzzer targets: a private scratch folder for the files the parsers read,
// and the rule for what counts as a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

namespace amused::fuzz {

// A folder of this process's own (created once, removed at exit).
const std::filesystem::path &scratch_dir();

// Writes `size` bytes to `name` inside scratch_dir() and returns its path.
std::filesystem::path write_scratch(const std::string &name, const uint8_t *data, size_t size);

// An input the parser refused with an error message: the expected outcome for bad input.
// With FUZZ_VERBOSE=1 in the environment the message is printed (to check that the seeds
// parse, or why one does not).
void rejected(const std::exception &e);

// A broken invariant (not a rejected input): report it and abort, so libFuzzer saves the
// input like any crash.
[[noreturn]] inline void fail(const char *what) {
  std::fprintf(stderr, "==fuzz== invariant broken: %s\n", what);
  std::abort();
}
#define FUZZ_CHECK(cond)                      \
  do {                                        \
    if (!(cond)) ::amused::fuzz::fail(#cond); \
  } while (0)

}  // namespace amused::fuzz
