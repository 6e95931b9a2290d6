// Port of ftfy 6.1.1 `fix_text` (ftfy/__init__.py) and the character fixers of
// ftfy/fixes.py; the mojibake part lives in ftfy_encoding.cc.
#include "text/text_cleaning.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include <array>
#include <optional>

#include "amused.h"
#include "text/ftfy_codecs.h"
#include "text/ftfy_encoding.h"
#include "text/html_entities.h"
#include "text/icu_util.h"

namespace amused::text {
namespace {

using icu::UnicodeString;
using icu_util::from_utf8;
using icu_util::Regex;
using icu_util::to_utf8;

// TextFixerConfig.max_decode_length: longest piece fixed in one go, in code points.
constexpr int32_t kMaxDecodeLength = 1000000;

// Applies `fn` to every code point; fn returns the replacement or nullopt to keep it.
template <typename Fn>
UnicodeString translate(const UnicodeString &text, Fn fn) {
  UnicodeString out;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    if (std::optional<UnicodeString> r = fn(c)) {
      out.append(*r);
    } else {
      out.append(c);
    }
    i += U16_LENGTH(c);
  }
  return out;
}

const icu::Normalizer2 &normalizer(bool nfkc) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2 *n =
      nfkc ? icu::Normalizer2::getNFKCInstance(status) : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw Error("text: ICU normalisation data unavailable");
  return *n;
}

// html.unescape() of a whole "&#...;" reference (Python's html/__init__.py); returns the
// reference unchanged when html.unescape would decode only a prefix of it.
UnicodeString unescape_numeric_reference(const UnicodeString &ref) {
  const UnicodeString body(ref, 2, ref.length() - 3);  // between "&#" and ";"
  const bool hex = !body.isEmpty() && (body[0] == u'x' || body[0] == u'X');
  const int32_t first = hex ? 1 : 0;
  if (body.length() <= first) return ref;
  uint64_t num = 0;
  for (int32_t i = first; i < body.length(); ++i) {
    const UChar c = body[i];
    int digit = -1;
    if (c >= u'0' && c <= u'9') digit = c - u'0';
    if (hex && c >= u'a' && c <= u'f') digit = c - u'a' + 10;
    if (hex && c >= u'A' && c <= u'F') digit = c - u'A' + 10;
    if (digit < 0) return ref;
    num = std::min<uint64_t>(num * (hex ? 16 : 10) + uint64_t(digit), 0x7FFFFFFF);
  }
  // html._invalid_charrefs: NUL, CR and the windows-1252 reading of 0x80..0x9F (whose five
  // holes stay C1 controls, exactly as in the sloppy table).
  if (num == 0) return UnicodeString(UChar32(0xFFFD));
  if (num == 0x0D) return UnicodeString(u"\r");
  if (num >= 0x80 && num <= 0x9F) {
    return UnicodeString(ftfy::sloppy_windows_1252().decode(uint8_t(num)));
  }
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return UnicodeString(UChar32(0xFFFD));
  // html._invalid_codepoints become nothing.
  if ((num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F) || num == 0x7F ||
      (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE) {
    return UnicodeString();
  }
  // fixes._unescape_fixup: a result holding ";" means the reference was not consumed.
  if (num == u';') return ref;
  return UnicodeString(UChar32(num));
}

UnicodeString unescape_html_u(const UnicodeString &text) {
  static const Regex entity_re(R"(&#?[0-9A-Za-z]{1,24};)");
  if (text.indexOf(u'&') < 0) return text;
  return entity_re.sub(text, [](const icu::RegexMatcher &m) {
    const UnicodeString ref = icu_util::group(m);
    if (auto value = lookup_html_entity(to_utf8(ref))) {
      return from_utf8(*value);
    }
    if (ref.startsWith(UnicodeString(u"&#"))) return unescape_numeric_reference(ref);
    return ref;
  });
}

// chardata.LIGATURES, ftfy's own list: Latin typographic ligatures and legacy digraphs
// (deliberately not NFKC, which would also split e.g. U+FB05 into "st" rather than "ſt").
std::optional<UnicodeString> ligature(UChar32 c) {
  struct Ligature {
    UChar32 from;
    const char16_t *to;
  };
  static constexpr Ligature kLigatures[] = {
      {0x0132, u"IJ"},      {0x0133, u"ij"}, {0x0149, u"\u02bcn"}, {0x01F1, u"DZ"},
      {0x01F2, u"Dz"},      {0x01F3, u"dz"}, {0x01C4, u"D\u017d"}, {0x01C5, u"D\u017e"},
      {0x01C6, u"d\u017e"}, {0x01C7, u"LJ"}, {0x01C8, u"Lj"},      {0x01C9, u"lj"},
      {0x01CA, u"NJ"},      {0x01CB, u"Nj"}, {0x01CC, u"nj"},      {0xFB00, u"ff"},
      {0xFB01, u"fi"},      {0xFB02, u"fl"}, {0xFB03, u"ffi"},     {0xFB04, u"ffl"},
      {0xFB05, u"\u017ft"}, {0xFB06, u"st"},
  };
  for (const Ligature &l : kLigatures) {
    if (l.from == c) return UnicodeString(l.to);
  }
  return std::nullopt;
}

// chardata.WIDTH_MAP: U+3000 -> space, and every U+FF01..U+FFEF that NFKC changes.
std::optional<UnicodeString> width(UChar32 c) {
  static const std::array<UnicodeString, 0xFFF0 - 0xFF01> table = [] {
    std::array<UnicodeString, 0xFFF0 - 0xFF01> t;
    const icu::Normalizer2 &nfkc = normalizer(true);
    for (UChar32 cp = 0xFF01; cp < 0xFFF0; ++cp) {
      UErrorCode status = U_ZERO_ERROR;
      const UnicodeString ch(cp);
      UnicodeString alt = nfkc.normalize(ch, status);
      if (U_SUCCESS(status) && alt != ch) t[size_t(cp - 0xFF01)] = alt;
    }
    return t;
  }();
  if (c == 0x3000) return UnicodeString(u" ");
  if (c >= 0xFF01 && c < 0xFFF0 && !table[size_t(c - 0xFF01)].isEmpty()) {
    return table[size_t(c - 0xFF01)];
  }
  return std::nullopt;
}

std::optional<UnicodeString> uncurl_quote(UChar32 c) {
  if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) return UnicodeString(u"'");
  if (c >= 0x201C && c <= 0x201F) return UnicodeString(u"\"");
  return std::nullopt;
}

UnicodeString fix_line_breaks(const UnicodeString &text) {
  UnicodeString out = text;
  out.findAndReplace(UnicodeString(u"\r\n"), UnicodeString(u"\n"));
  out.findAndReplace(UnicodeString(u"\r"), UnicodeString(u"\n"));
  out.findAndReplace(UnicodeString(u"\u2028"), UnicodeString(u"\n"));
  out.findAndReplace(UnicodeString(u"\u2029"), UnicodeString(u"\n"));
  out.findAndReplace(UnicodeString(u"\u0085"), UnicodeString(u"\n"));
  return out;
}

UnicodeString remove_terminal_escapes(const UnicodeString &text) {
  static const Regex ansi_re(R"(\x{1B}\[(?:\d|;)*[a-zA-Z])");
  if (text.indexOf(UChar(0x1B)) < 0) return text;
  return ansi_re.sub(text, UnicodeString());
}

// chardata.CONTROL_CHARS.
std::optional<UnicodeString> control_char(UChar32 c) {
  if ((c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
      (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC)) {
    return UnicodeString();
  }
  return std::nullopt;
}

// fix_and_explain on one segment: apply every fixer until the text stops changing.
UnicodeString fix_segment(UnicodeString text, bool unescape) {
  const icu::Normalizer2 &nfc = normalizer(false);
  while (true) {
    const UnicodeString orig = text;
    if (unescape) text = unescape_html_u(text);
    text = ftfy::fix_encoding(text);
    text = ftfy::fix_c1_controls(text);
    text = translate(text, ligature);
    text = translate(text, width);
    text = translate(text, uncurl_quote);
    text = fix_line_breaks(text);
    // fix_surrogates has nothing to do: UTF-8 input cannot carry lone surrogates, and
    // from_utf8 pairs or replaces them.
    text = remove_terminal_escapes(text);
    text = translate(text, control_char);
    UErrorCode status = U_ZERO_ERROR;
    text = nfc.normalize(text, status);
    if (U_FAILURE(status)) throw Error("text: NFC normalisation failed");
    if (text == orig) return text;
  }
}

bool is_python_space(UChar32 c) { return u_isUWhiteSpace(c) || (c >= 0x1C && c <= 0x1F); }

}  // namespace

std::string fix_text(std::string_view utf8) {
  const UnicodeString text = from_utf8(utf8);
  UnicodeString out;
  // unescape_html="auto" turns itself off for good at the first segment containing "<".
  bool unescape = true;
  int32_t pos = 0;
  while (pos < text.length()) {
    int32_t brk = text.indexOf(u'\n', pos) + 1;
    if (brk == 0) brk = text.length();
    if (text.countChar32(pos, brk - pos) > kMaxDecodeLength) {
      brk = text.moveIndex32(pos, kMaxDecodeLength);
    }
    const UnicodeString segment(text, pos, brk - pos);
    if (unescape && segment.indexOf(u'<') >= 0) unescape = false;
    out.append(fix_segment(segment, unescape));
    pos = brk;
  }
  return to_utf8(out);
}

std::string unescape_html(std::string_view text) {
  return to_utf8(unescape_html_u(from_utf8(text)));
}

std::string fix_encoding(std::string_view text) {
  return to_utf8(ftfy::fix_encoding(from_utf8(text)));
}

bool is_mojibake(std::string_view text) { return ftfy::is_bad(from_utf8(text)); }

std::string clean_whitespace_and_lower(std::string_view text) {
  static const Regex spaces_re(R"(\p{White_Space}+)");
  UnicodeString s = spaces_re.sub(from_utf8(text), UnicodeString(u" "));
  int32_t begin = 0;
  int32_t end = s.length();
  while (begin < end && is_python_space(s.char32At(begin))) begin = s.moveIndex32(begin, 1);
  while (end > begin && is_python_space(s.char32At(s.moveIndex32(end, -1)))) {
    end = s.moveIndex32(end, -1);
  }
  UnicodeString stripped(s, begin, end - begin);
  stripped.toLower(icu::Locale::getRoot());
  return to_utf8(stripped);
}

}  // namespace amused::text
