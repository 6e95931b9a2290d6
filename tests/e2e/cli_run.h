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

namespace amused::e2e {

struct CliResult {
  int status = -1;  // exit status; -1 if killed by a signal
  std::string out;
  std::string err;
};

inline std::string cli_path() {
  const char *path = std::getenv("AMUSED_CLI");
  return path ? path : "";
}

inline CliResult run_cli(const std::vector<std::string> &args) {
  std::vector<std::string> storage{cli_path()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  CliResult r;
  if (!g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &out, &err,
                    &wait_status, &error)) {
    ADD_FAILURE() << "cannot run " << storage[0] << ": " << error->message;
    g_error_free(error);
    return r;
  }
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return r;
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
