// `amused`: the command-line tool. Dispatches on the first argument to a subcommand
// (commands.def) and turns failures into one line on stderr and an exit status.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "amused.h"
#include "cli_error.h"
#include "media/ffmpeg_log.h"

namespace amused::cli {

#define AMUSED_COMMAND(name, summary) int run_##name(int argc, char **argv);
#include "commands.def"
#undef AMUSED_COMMAND

namespace {

struct Command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
};

constexpr Command kCommands[] = {
#define AMUSED_COMMAND(name, summary) {#name, summary, run_##name},
#include "commands.def"
#undef AMUSED_COMMAND
};

void print_usage(std::FILE *out) {
  std::fprintf(out,
               "Usage:\n  amused COMMAND [OPTION…]\n\n"
               "aMUSEd masked image model (libamused %s): generate and restyle images and "
               "video.\n\nCommands:\n",
               AMUSED_CLI_VERSION);
  for (const auto &c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\nRun 'amused COMMAND --help' for the options of a command.\n"
               "Exit status: 0 success, 1 runtime failure, 2 bad command line.\n");
}

const Command *find_command(const char *name) {
  for (const auto &c : kCommands)
    if (std::strcmp(c.name, name) == 0) return &c;
  return nullptr;
}

int run(int argc, char **argv) {
  // libx264 and the muxers print their statistics at "info"; keep the terminal for our
  // progress and one-line errors unless AMUSED_FFMPEG_VERBOSE is set.
  if (!std::getenv("AMUSED_FFMPEG_VERBOSE"))
    media::set_ffmpeg_log_level(media::FfmpegLogLevel::kWarning);
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    // `amused help image` is `amused image --help`.
    if (first == "help" && argc > 2) {
      if (const Command *c = find_command(argv[2])) {
        char help_flag[] = "--help";
        char *args[] = {argv[2], help_flag, nullptr};
        return c->run(2, args);
      }
    }
    print_usage(stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::printf("amused %s\n", AMUSED_CLI_VERSION);
    return kExitOk;
  }
  const Command *command = find_command(argv[1]);
  if (!command) {
    std::fprintf(stderr, "amused: unknown command '%s' (see amused --help)\n", argv[1]);
    return kExitUsage;
  }
  const std::string prefix = std::string("amused ") + command->name + ": ";
  // Subcommands see their own name as argv[0], as if they were programs of their own.
  try {
    return command->run(argc - 1, argv + 1);
  } catch (const UsageError &e) {
    std::fprintf(stderr, "%s%s (see amused %s --help)\n", prefix.c_str(),
                 one_line(e.what()).c_str(), command->name);
    return kExitUsage;
  } catch (const Error &e) {  // amused::Error, including Cancelled
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), one_line(e.what()).c_str());
    return kExitRuntime;
  } catch (const std::exception &e) {  // a bug or an exhausted resource, still one line
    std::fprintf(stderr, "%sinternal error: %s\n", prefix.c_str(), one_line(e.what()).c_str());
    return kExitRuntime;
  }
}

}  // namespace
}  // namespace amused::cli

int main(int argc, char **argv) {
  // Past a file-size limit, a write should fail with an error naming the file rather than
  // the process dying of SIGXFSZ with the file half written.
  std::signal(SIGXFSZ, SIG_IGN);
  return amused::cli::run(argc, argv);
}
