// Command-line options of one subcommand, parsed by GLib's GOption.
//
//   OptionParser p("amused image", "Generate images from a text prompt.");
//   int steps = 12;
//   p.add_int("steps", 's', "N", "number of denoising steps", &steps);
//   if (!p.parse(argc, argv)) return kExitOk;   // --help was printed
//
// GOption does the command-line grammar (--flag value, --flag=value, -f value, unknown-flag
// and missing-value errors) and formats --help. Values are converted here, in a callback,
// so every error names its flag in the same words, the parser knows which flags were given
// (a flag whose default depends on others, like --strength), and strings are passed through
// byte for byte (prompts are UTF-8 whatever the locale).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace amused::cli {

class OptionParser {
 public:
  // `command` is what the usage line shows ("amused image"); `summary` follows it.
  OptionParser(std::string command, std::string summary);
  OptionParser(const OptionParser &) = delete;
  OptionParser &operator=(const OptionParser &) = delete;

  // `arg` names the value in --help ("N", "DIR"); `help` should end with the default.
  // `short_name` 0 means no short form. Targets keep their value when the flag is absent.
  void add_string(const char *name, char short_name, const char *arg, std::string help,
                  std::string *target);
  void add_int(const char *name, char short_name, const char *arg, std::string help, int *target);
  void add_uint64(const char *name, char short_name, const char *arg, std::string help,
                  uint64_t *target);
  void add_double(const char *name, char short_name, const char *arg, std::string help,
                  double *target);
  // Stays unset unless given.
  void add_double(const char *name, char short_name, const char *arg, std::string help,
                  std::optional<double> *target);
  void add_flag(const char *name, char short_name, std::string help, bool *target);

  // Text printed after the options in --help (examples, notes).
  void set_epilogue(std::string text) { epilogue_ = std::move(text); }

  // Parses argv[1..] (argv[0] is the subcommand's name). Returns false when --help was
  // given: the help is then printed on stdout and the caller should exit with status 0.
  // Throws UsageError naming the flag for unknown flags, missing or malformed values and
  // positional arguments.
  bool parse(int argc, char **argv);

  bool given(const std::string &name) const;
  std::string help();  // non-const: the GOption context it builds refers back to us

 private:
  enum class Kind { kString, kInt, kUint64, kDouble, kOptionalDouble, kFlag };
  struct Option {
    std::string name;
    char short_name;
    std::string arg;
    std::string help;
    Kind kind;
    void *target;
    bool given = false;
  };

  void add(const char *name, char short_name, const char *arg, std::string help, Kind kind,
           void *target);
  // Called by GOption for each occurrence; `flag` is "--name" or "-n". Returns an error
  // message, empty on success.
  std::string apply(const char *flag, const char *value);
  Option *find(const char *flag);

  struct Context;  // a GOptionContext and the entry table it points into
  std::unique_ptr<Context> make_context();

  std::string command_;
  std::string summary_;
  std::string epilogue_;
  std::deque<Option> options_;  // deque: GOption keeps pointers to the strings
  bool help_ = false;

  friend struct OptionCallback;
};

}  // namespace amused::cli
