#include "option_parser.h"

#include <glib.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "cli_error.h"

namespace amused::cli {

namespace {

struct GFreeDeleter {
  void operator()(gchar *p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;

struct ErrorDeleter {
  void operator()(GError *e) const { g_error_free(e); }
};

std::string quoted(const char *value) { return std::string("'") + value + "'"; }

}  // namespace

struct OptionParser::Context {
  struct Deleter {
    void operator()(GOptionContext *c) const { g_option_context_free(c); }
  };
  std::vector<GOptionEntry> entries;
  std::unique_ptr<GOptionContext, Deleter> context;
};

// GOption calls back through a plain C function; this friend forwards to the parser that
// was registered as the group's user data.
struct OptionCallback {
  static gboolean on_option(const gchar *flag, const gchar *value, gpointer data, GError **error) {
    const std::string problem = static_cast<OptionParser *>(data)->apply(flag, value);
    if (problem.empty()) return TRUE;
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", problem.c_str());
    return FALSE;
  }
};

OptionParser::OptionParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {
  // GOption's built-in --help exits the process from inside the parser; ours returns.
  add_flag("help", 'h', "show this help and exit", &help_);
}

void OptionParser::add(const char *name, char short_name, const char *arg, std::string help,
                       Kind kind, void *target) {
  options_.push_back(Option{name, short_name, arg ? arg : "", std::move(help), kind, target});
}

void OptionParser::add_string(const char *name, char short_name, const char *arg, std::string help,
                              std::string *target) {
  add(name, short_name, arg, std::move(help), Kind::kString, target);
}
void OptionParser::add_int(const char *name, char short_name, const char *arg, std::string help,
                           int *target) {
  add(name, short_name, arg, std::move(help), Kind::kInt, target);
}
void OptionParser::add_uint64(const char *name, char short_name, const char *arg, std::string help,
                              uint64_t *target) {
  add(name, short_name, arg, std::move(help), Kind::kUint64, target);
}
void OptionParser::add_double(const char *name, char short_name, const char *arg, std::string help,
                              double *target) {
  add(name, short_name, arg, std::move(help), Kind::kDouble, target);
}
void OptionParser::add_double(const char *name, char short_name, const char *arg, std::string help,
                              std::optional<double> *target) {
  add(name, short_name, arg, std::move(help), Kind::kOptionalDouble, target);
}
void OptionParser::add_flag(const char *name, char short_name, std::string help, bool *target) {
  add(name, short_name, nullptr, std::move(help), Kind::kFlag, target);
}

OptionParser::Option *OptionParser::find(const char *flag) {
  const std::string f = flag;
  for (auto &o : options_) {
    if (f == "--" + o.name) return &o;
    if (o.short_name && f == std::string("-") + o.short_name) return &o;
  }
  return nullptr;
}

std::string OptionParser::apply(const char *flag, const char *value) {
  Option *o = find(flag);
  if (!o) return std::string("unexpected option ") + flag;  // GOption only calls for ours
  const std::string name = "--" + o->name;
  o->given = true;
  switch (o->kind) {
    case Kind::kFlag:
      *static_cast<bool *>(o->target) = true;
      return {};
    case Kind::kString:
      *static_cast<std::string *>(o->target) = value;
      return {};
    case Kind::kInt: {
      char *end = nullptr;
      errno = 0;
      const gint64 v = g_ascii_strtoll(value, &end, 10);
      if (end == value || *end != '\0') return name + ": expected an integer, got " + quoted(value);
      if (errno == ERANGE || v < std::numeric_limits<int>::min() ||
          v > std::numeric_limits<int>::max())
        return name + ": " + quoted(value) + " is out of range";
      *static_cast<int *>(o->target) = static_cast<int>(v);
      return {};
    }
    case Kind::kUint64: {
      char *end = nullptr;
      errno = 0;
      // strtoull accepts "-1" and wraps it; a seed of 18446744073709551615 is never meant.
      const bool negative = std::string(value).find('-') != std::string::npos;
      const guint64 v = g_ascii_strtoull(value, &end, 10);
      if (negative || end == value || *end != '\0')
        return name + ": expected a non-negative integer, got " + quoted(value);
      if (errno == ERANGE) return name + ": " + quoted(value) + " is out of range";
      *static_cast<uint64_t *>(o->target) = v;
      return {};
    }
    case Kind::kDouble:
    case Kind::kOptionalDouble: {
      char *end = nullptr;
      errno = 0;
      const double v = g_ascii_strtod(value, &end);  // '.' decimal point in every locale
      if (end == value || *end != '\0' || !std::isfinite(v))
        return name + ": expected a number, got " + quoted(value);
      if (o->kind == Kind::kDouble)
        *static_cast<double *>(o->target) = v;
      else
        *static_cast<std::optional<double> *>(o->target) = v;
      return {};
    }
  }
  return {};
}

std::unique_ptr<OptionParser::Context> OptionParser::make_context() {
  auto c = std::make_unique<Context>();
  for (const auto &o : options_) {
    GOptionEntry e{};
    e.long_name = o.name.c_str();
    e.short_name = o.short_name;
    // FILENAME: hand the bytes over unconverted (GOption would otherwise convert from the
    // locale's charset and reject UTF-8 prompts under LANG=C).
    e.flags = G_OPTION_FLAG_FILENAME | (o.kind == Kind::kFlag ? G_OPTION_FLAG_NO_ARG : 0);
    e.arg = G_OPTION_ARG_CALLBACK;
    e.arg_data = reinterpret_cast<gpointer>(&OptionCallback::on_option);
    e.description = o.help.c_str();
    e.arg_description = o.arg.empty() ? nullptr : o.arg.c_str();
    c->entries.push_back(e);
  }
  c->entries.push_back(GOptionEntry{});  // terminator

  g_set_prgname(command_.c_str());  // the usage line reads "amused image [OPTION…]"
  c->context.reset(g_option_context_new(nullptr));
  g_option_context_set_help_enabled(c->context.get(), FALSE);
  g_option_context_set_summary(c->context.get(), summary_.c_str());
  if (!epilogue_.empty()) g_option_context_set_description(c->context.get(), epilogue_.c_str());
  GOptionGroup *group = g_option_group_new(nullptr, nullptr, nullptr, this, nullptr);
  g_option_group_add_entries(group, c->entries.data());
  g_option_context_set_main_group(c->context.get(), group);  // the context owns the group
  return c;
}

bool OptionParser::parse(int argc, char **argv) {
  auto c = make_context();
  std::vector<char *> args(argv, argv + argc);
  gint n = argc;
  gchar **v = args.data();
  GError *raw_error = nullptr;
  const bool ok = g_option_context_parse(c->context.get(), &n, &v, &raw_error);
  std::unique_ptr<GError, ErrorDeleter> error(raw_error);
  if (!ok) throw UsageError(std::string(error ? error->message : "cannot parse the options"));
  if (help_) {
    std::fputs(help().c_str(), stdout);
    return false;
  }
  for (gint i = 1; i < n; ++i) {
    if (std::string(v[i]) == "--") continue;
    throw UsageError(std::string("unexpected argument ") + quoted(v[i]) +
                     " (every value is given with a flag; see --help)");
  }
  return true;
}

bool OptionParser::given(const std::string &name) const {
  for (const auto &o : options_)
    if (o.name == name) return o.given;
  return false;
}

std::string OptionParser::help() {
  auto c = make_context();
  GCharPtr text(g_option_context_get_help(c->context.get(), TRUE, nullptr));
  return text ? std::string(text.get()) : std::string();
}

}  // namespace amused::cli
