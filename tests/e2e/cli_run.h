// Running the built `amused` binary as a child process, as a user or script would, and a
// scratch folder per test. The binary's path comes from meson in $AMUSED_CLI.
#pragma once

#include <glib.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "process_run.h"

namespace amused::e2e {

using CliResult = ProcessResult;

inline std::string cli_path() {
  const char *path = std::getenv("AMUSED_CLI");
  return path ? path : "";
}

inline CliResult run_cli(const std::vector<std::string> &args) {
  std::vector<std::string> argv{cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, /*ours=*/true);
}

// "amused image --prompt x" for failure messages.
inline std::string command_line(const std::vector<std::string> &args) {
  std::string s = "amused";
  for (const auto &a : args) s += " " + a;
  return s;
}

inline int count_lines(const std::string &text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    gchar *dir = g_dir_make_tmp("amused-e2e-XXXXXX", nullptr);
    path_ = dir ? dir : "";
    g_free(dir);
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }
  std::string operator/(const std::string &name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace amused::e2e
