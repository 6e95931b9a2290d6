// Running a program as a child process, with the test's environment plus extra variables,
// and collecting its exit status and output.
#pragma once

#include <glib.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace amused::e2e {

struct ProcessResult {
  int status = -1;  // exit status; -1 when killed by a signal or not started
  std::string out, err;
};

// Runs argv[0] (found on PATH if it has no slash) with the test's environment plus `env`.
// `ours`: argv[0] is a program of this build (instrumented like the tests), not a system
// program such as gst-launch-1.0 or python3 that loads our plugin.
inline ProcessResult run_process(const std::vector<std::string> &args,
                                 const std::map<std::string, std::string> &env = {},
                                 bool ours = false) {
  std::vector<std::string> storage = args;
  std::vector<char *> argv;
  for (auto &s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  gchar **envp = g_get_environ();
  // Under `meson test --setup asan` the system's gst-launch-1.0 and python3 load an
  // instrumented plugin: they need the ASan runtime first, and their own leaks are not ours.
  if (const char *runtime = std::getenv("AMUSED_TEST_CHILD_PRELOAD");
      !ours && runtime && *runtime) {
    envp = g_environ_setenv(envp, "LD_PRELOAD", runtime, TRUE);
    envp = g_environ_setenv(envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  }
  for (const auto &[key, value] : env)
    envp = g_environ_setenv(envp, key.c_str(), value.c_str(), TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  ProcessResult r;
  const bool started = g_spawn_sync(nullptr, argv.data(), envp, G_SPAWN_SEARCH_PATH, nullptr,
                                    nullptr, &out, &err, &wait_status, &error);
  g_strfreev(envp);
  if (!started) {
    ADD_FAILURE() << "cannot run " << args[0] << ": " << error->message;
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

}  // namespace amused::e2e
