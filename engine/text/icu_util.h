// Small ICU helpers shared by the ftfy port and the CLIP tokenizer (internal header).
//
// Text is held as icu::UnicodeString (UTF-16) between the steps; bytes that ftfy treats as
// `bytes` are held as "Latin-1 strings": one UTF-16 unit per byte (U+0000..U+00FF), so that
// ftfy's byte regexes can run on them through ICU regex unchanged.
#pragma once

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace amused::text::icu_util {

// UTF-8 -> UTF-16. Invalid UTF-8 becomes U+FFFD (one per maximal ill-formed subpart, like
// Python's `bytes.decode("utf-8", errors="replace")`).
icu::UnicodeString from_utf8(std::string_view utf8);
std::string to_utf8(const icu::UnicodeString &text);

// A compiled pattern; immutable, so one instance is shared by all threads (each search
// makes its own RegexMatcher). Throws amused::Error if the pattern does not compile.
class Regex {
 public:
  explicit Regex(const char *utf8_pattern, uint32_t flags = 0);
  bool search(const icu::UnicodeString &text) const;
  // re.sub(pattern, fn, text): fn gets the matcher positioned on each match, left to right.
  icu::UnicodeString sub(
      const icu::UnicodeString &text,
      const std::function<icu::UnicodeString(const icu::RegexMatcher &)> &fn) const;
  icu::UnicodeString sub(const icu::UnicodeString &text, const icu::UnicodeString &repl) const;
  std::unique_ptr<icu::RegexMatcher> matcher(const icu::UnicodeString &text) const;

 private:
  std::unique_ptr<icu::RegexPattern> pattern_;
  std::string source_;
};

// The matched text of group 0.
icu::UnicodeString group(const icu::RegexMatcher &m);

}  // namespace amused::text::icu_util
