#include "text/icu_util.h"

#include "amused.h"

namespace amused::text::icu_util {

icu::UnicodeString from_utf8(std::string_view utf8) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), int32_t(utf8.size())));
}

std::string to_utf8(const icu::UnicodeString &text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

Regex::Regex(const char *utf8_pattern, uint32_t flags) : source_(utf8_pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  pattern_.reset(icu::RegexPattern::compile(from_utf8(utf8_pattern), flags, parse_error, status));
  if (U_FAILURE(status)) {
    throw Error("text: internal regex does not compile (" + std::string(u_errorName(status)) +
                " at offset " + std::to_string(parse_error.offset) + "): " + source_);
  }
}

std::unique_ptr<icu::RegexMatcher> Regex::matcher(const icu::UnicodeString &text) const {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(pattern_->matcher(text, status));
  if (U_FAILURE(status)) throw Error("text: cannot create regex matcher: " + source_);
  return m;
}

bool Regex::search(const icu::UnicodeString &text) const {
  UErrorCode status = U_ZERO_ERROR;
  auto m = matcher(text);
  return m->find(0, status) && U_SUCCESS(status);
}

icu::UnicodeString Regex::sub(
    const icu::UnicodeString &text,
    const std::function<icu::UnicodeString(const icu::RegexMatcher &)> &fn) const {
  UErrorCode status = U_ZERO_ERROR;
  auto m = matcher(text);
  icu::UnicodeString out;
  int32_t last = 0;
  while (m->find(status) && U_SUCCESS(status)) {
    const int32_t start = m->start(status);
    const int32_t end = m->end(status);
    out.append(text, last, start - last);
    out.append(fn(*m));
    last = end;
  }
  out.append(text, last, text.length() - last);
  return out;
}

icu::UnicodeString Regex::sub(const icu::UnicodeString &text,
                              const icu::UnicodeString &repl) const {
  return sub(text, [&](const icu::RegexMatcher &) { return repl; });
}

icu::UnicodeString group(const icu::RegexMatcher &m) {
  UErrorCode status = U_ZERO_ERROR;
  return m.group(status);
}

}  // namespace amused::text::icu_util
