// Port of the mojibake half of ftfy 6.1.1: ftfy/__init__.py (fix_encoding_and_explain,
// _fix_encoding_one_step_and_explain), ftfy/badness.py, ftfy/chardata.py (UTF8_CLUES,
// ALTERED_UTF8_RE, LOSSY_UTF8_RE, C1_CONTROL_RE) and the byte fixers of ftfy/fixes.py.
//
// The character classes and regexes are ftfy's, transcribed verbatim (Python's \N{NAME},
// \xhh and \uhhhh escapes mean the same in ICU regex). Three Python-isms are spelled out
// for ICU: Python's `\s` (str.isspace) is [\p{White_Space}\x{1C}-\x{1F}], its `\w`
// (str.isalnum or "_") is [\p{L}\p{N}_], and its `.` (anything but \n) is [^\n]. Byte
// regexes run on "Latin-1 strings" (ftfy_codecs.h).
#include "text/ftfy_encoding.h"

#include <map>
#include <string>

#include "text/ftfy_codecs.h"
#include "text/icu_util.h"

namespace amused::text::ftfy {
namespace {

using icu::UnicodeString;
using icu_util::Regex;

// badness.MOJIBAKE_CATEGORIES and chardata.UTF8_CLUES.
const std::map<std::string, std::string> &categories() {
  static const std::map<std::string, std::string> cats = {
      {"common",
       R"(\N{NO-BREAK SPACE}\N{SOFT HYPHEN}\N{MIDDLE DOT}\N{ACUTE ACCENT}\N{EN DASH})"
       R"(\N{EM DASH}\N{HORIZONTAL BAR}\N{HORIZONTAL ELLIPSIS}\N{RIGHT SINGLE QUOTATION MARK})"},
      {"c1", R"(\x80-\x9f)"},
      {"bad",
       R"(\N{BROKEN BAR}\N{CURRENCY SIGN}\N{DIAERESIS}\N{NOT SIGN}\N{MACRON}\N{PILCROW SIGN})"
       R"(\N{SECTION SIGN}\N{CEDILLA}\N{LATIN SMALL LETTER F WITH HOOK})"
       R"(\N{MODIFIER LETTER CIRCUMFLEX ACCENT}\N{CARON}\N{BREVE}\N{OGONEK}\N{SMALL TILDE})"
       R"(\N{DAGGER}\N{DOUBLE DAGGER}\N{PER MILLE SIGN}\N{REVERSED NOT SIGN}\N{LOZENGE})"
       R"(\ufffd\N{FEMININE ORDINAL INDICATOR}\N{MASCULINE ORDINAL INDICATOR})"},
      {"currency", R"(\N{CENT SIGN}\N{POUND SIGN}\N{YEN SIGN}\N{PESETA SIGN}\N{EURO SIGN})"},
      {"start_punctuation",
       R"(\N{INVERTED EXCLAMATION MARK}\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK})"
       R"(\N{INVERTED QUESTION MARK}\N{COPYRIGHT SIGN}\N{GREEK TONOS}\N{GREEK DIALYTIKA TONOS})"
       R"(\N{LEFT SINGLE QUOTATION MARK}\N{SINGLE LOW-9 QUOTATION MARK})"
       R"(\N{LEFT DOUBLE QUOTATION MARK}\N{DOUBLE LOW-9 QUOTATION MARK}\N{BULLET})"
       R"(\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}\uf8ff)"},
      {"end_punctuation", R"(\N{REGISTERED SIGN}\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK})"
                          R"(\N{DOUBLE ACUTE ACCENT}\N{RIGHT DOUBLE QUOTATION MARK})"
                          R"(\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}\N{TRADE MARK SIGN})"},
      {"numeric",
       R"(\N{SUPERSCRIPT TWO}\N{SUPERSCRIPT THREE}\N{SUPERSCRIPT ONE}\N{PLUS-MINUS SIGN})"
       R"(\N{VULGAR FRACTION ONE QUARTER}\N{VULGAR FRACTION ONE HALF})"
       R"(\N{VULGAR FRACTION THREE QUARTERS}\N{MULTIPLICATION SIGN}\N{MICRO SIGN})"
       R"(\N{DIVISION SIGN}\N{FRACTION SLASH}\N{PARTIAL DIFFERENTIAL}\N{INCREMENT})"
       R"(\N{N-ARY PRODUCT}\N{N-ARY SUMMATION}\N{SQUARE ROOT}\N{INFINITY}\N{INTERSECTION})"
       R"(\N{INTEGRAL}\N{ALMOST EQUAL TO}\N{NOT EQUAL TO}\N{IDENTICAL TO})"
       R"(\N{LESS-THAN OR EQUAL TO}\N{GREATER-THAN OR EQUAL TO}\N{NUMERO SIGN})"},
      {"kaomoji", R"(Ò-ÖÙ-Üò-öø-ü\N{LATIN CAPITAL LETTER O WITH DOUBLE ACUTE}\N{DEGREE SIGN})"},
      {"upper_accented",
       R"(\xc0-\xd1\N{LATIN CAPITAL LETTER O WITH STROKE})"
       R"(\N{LATIN CAPITAL LETTER U WITH DIAERESIS}\N{LATIN CAPITAL LETTER Y WITH ACUTE})"
       R"(\N{LATIN CAPITAL LETTER A WITH BREVE}\N{LATIN CAPITAL LETTER A WITH OGONEK})"
       R"(\N{LATIN CAPITAL LETTER C WITH ACUTE}\N{LATIN CAPITAL LETTER C WITH CARON})"
       R"(\N{LATIN CAPITAL LETTER D WITH CARON}\N{LATIN CAPITAL LETTER D WITH STROKE})"
       R"(\N{LATIN CAPITAL LETTER E WITH OGONEK}\N{LATIN CAPITAL LETTER E WITH CARON})"
       R"(\N{LATIN CAPITAL LETTER G WITH BREVE}\N{LATIN CAPITAL LETTER I WITH DOT ABOVE})"
       R"(\N{LATIN CAPITAL LETTER L WITH ACUTE}\N{LATIN CAPITAL LETTER L WITH CARON})"
       R"(\N{LATIN CAPITAL LETTER L WITH STROKE}\N{LATIN CAPITAL LETTER N WITH ACUTE})"
       R"(\N{LATIN CAPITAL LETTER N WITH CARON}\N{LATIN CAPITAL LIGATURE OE})"
       R"(\N{LATIN CAPITAL LETTER R WITH CARON}\N{LATIN CAPITAL LETTER S WITH ACUTE})"
       R"(\N{LATIN CAPITAL LETTER S WITH CEDILLA}\N{LATIN CAPITAL LETTER S WITH CARON})"
       R"(\N{LATIN CAPITAL LETTER T WITH CEDILLA}\N{LATIN CAPITAL LETTER T WITH CARON})"
       R"(\N{LATIN CAPITAL LETTER U WITH RING ABOVE}\N{LATIN CAPITAL LETTER U WITH DOUBLE ACUTE})"
       R"(\N{LATIN CAPITAL LETTER Y WITH DIAERESIS}\N{LATIN CAPITAL LETTER Z WITH ACUTE})"
       R"(\N{LATIN CAPITAL LETTER Z WITH DOT ABOVE}\N{LATIN CAPITAL LETTER Z WITH CARON})"
       R"(\N{CYRILLIC CAPITAL LETTER GHE WITH UPTURN})"},
      {"lower_accented",
       R"(\N{LATIN SMALL LETTER SHARP S}\xe0-\xf1\N{LATIN SMALL LETTER A WITH BREVE})"
       R"(\N{LATIN SMALL LETTER A WITH OGONEK}\N{LATIN SMALL LETTER C WITH ACUTE})"
       R"(\N{LATIN SMALL LETTER C WITH CARON}\N{LATIN SMALL LETTER D WITH CARON})"
       R"(\N{LATIN SMALL LETTER D WITH STROKE}\N{LATIN SMALL LETTER E WITH OGONEK})"
       R"(\N{LATIN SMALL LETTER E WITH CARON}\N{LATIN SMALL LETTER G WITH BREVE})"
       R"(\N{LATIN SMALL LETTER L WITH ACUTE}\N{LATIN SMALL LETTER L WITH CARON})"
       R"(\N{LATIN SMALL LETTER L WITH STROKE}\N{LATIN SMALL LIGATURE OE})"
       R"(\N{LATIN SMALL LETTER R WITH ACUTE}\N{LATIN SMALL LETTER S WITH ACUTE})"
       R"(\N{LATIN SMALL LETTER S WITH CEDILLA}\N{LATIN SMALL LETTER S WITH CARON})"
       R"(\N{LATIN SMALL LETTER T WITH CARON}\N{LATIN SMALL LETTER U WITH DIAERESIS})"
       R"(\N{LATIN SMALL LETTER Z WITH ACUTE}\N{LATIN SMALL LETTER Z WITH DOT ABOVE})"
       R"(\N{LATIN SMALL LETTER Z WITH CARON}\N{CYRILLIC SMALL LETTER GHE WITH UPTURN})"
       R"(\N{LATIN SMALL LIGATURE FI}\N{LATIN SMALL LIGATURE FL})"},
      {"upper_common",
       R"(\N{LATIN CAPITAL LETTER THORN})"
       R"(\N{GREEK CAPITAL LETTER ALPHA}-\N{GREEK CAPITAL LETTER OMEGA})"
       R"(\N{GREEK CAPITAL LETTER ALPHA WITH TONOS}\N{GREEK CAPITAL LETTER EPSILON WITH TONOS})"
       R"(\N{GREEK CAPITAL LETTER ETA WITH TONOS}\N{GREEK CAPITAL LETTER IOTA WITH TONOS})"
       R"(\N{GREEK CAPITAL LETTER OMICRON WITH TONOS})"
       R"(\N{GREEK CAPITAL LETTER UPSILON WITH TONOS}\N{GREEK CAPITAL LETTER OMEGA WITH TONOS})"
       R"(\N{GREEK CAPITAL LETTER IOTA WITH DIALYTIKA})"
       R"(\N{GREEK CAPITAL LETTER UPSILON WITH DIALYTIKA})"
       R"(\N{CYRILLIC CAPITAL LETTER IO}-\N{CYRILLIC CAPITAL LETTER YA})"},
      {"lower_common",
       R"(\N{GREEK SMALL LETTER ALPHA}-\N{GREEK SMALL LETTER OMEGA})"
       R"(\N{GREEK SMALL LETTER ALPHA WITH TONOS}\N{GREEK SMALL LETTER EPSILON WITH TONOS})"
       R"(\N{GREEK SMALL LETTER ETA WITH TONOS}\N{GREEK SMALL LETTER IOTA WITH TONOS})"
       R"(\N{GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND TONOS})"
       R"(\N{CYRILLIC SMALL LETTER A}-\N{CYRILLIC SMALL LETTER DZHE})"},
      {"box", R"(│┌┐┘├┤┬┼\N{BOX DRAWINGS DOUBLE HORIZONTAL}-)"
              R"(\N{BOX DRAWINGS DOUBLE VERTICAL AND HORIZONTAL}▀▄█▌▐░▒▓)"},
      {"utf8_first_of_2", R"(ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßĂĆČĎĐĘĚĞİĹŃŇŐŘŞŢŮŰ)"
                          R"(ΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ)"},
      {"utf8_first_of_3", R"(àáâãäåæçèéêëìíîïăćčďęěĺŕΰαβγδεζηθικλμνξοабвгдежзийклмноп)"},
      {"utf8_first_of_4", R"(ðóđğπσру)"},
      // The trailing \x20 is ftfy's literal space (standing in for a lost U+00A0).
      {"utf8_continuation", R"(\x80-\xbfĄąĽľŁłŒœŚśŞşŠšŤťŸŹźŻżŽžƒˆˇ˘˛˜˝΄΅)"
                            R"(ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕіїјљњћќўџҐґ–—―‘’‚“”„†‡•…‰‹›€№™\x20)"},
      {"utf8_continuation_strict", R"(\x80-\xbfĄąĽľŁłŒœŚśŞşŠšŤťŸŹźŻżŽžƒˆˇ˘˛˜˝΄΅)"
                                   R"(ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕіїјљњћќўџҐґ†‡•‰‹›€№™)"},
  };
  return cats;
}

// str.format for the category placeholders; other braces (quantifiers) are left alone.
std::string expand(const std::string &pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close != std::string::npos) {
        auto it = categories().find(pattern.substr(i + 1, close - i - 1));
        if (it != categories().end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += pattern[i++];
  }
  return out;
}

// badness.BADNESS_RE, one alternative per line as in ftfy (comments dropped).
const Regex &badness_re() {
  static const Regex re(
      expand(
          R"([{c1}])"
          R"(|[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}][{bad}])"
          R"(|[a-zA-Z][{lower_common}{upper_common}][{bad}])"
          R"(|[{bad}][{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}])"
          R"(|[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}][{upper_accented}])"
          R"(|[{box}{end_punctuation}{currency}{numeric}][{lower_accented}])"
          R"(|[{lower_accented}{box}{end_punctuation}][{currency}])"
          R"(|[\p{White_Space}\x{1C}-\x{1F}][{upper_accented}][{currency}])"
          R"(|[{upper_accented}{box}][{numeric}])"
          R"(|[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}][{start_punctuation}][{numeric}])"
          R"(|[{lower_accented}{upper_accented}{currency}{numeric}{box}][{end_punctuation}][{start_punctuation}])"
          R"(|[{currency}{numeric}{box}][{start_punctuation}])"
          R"(|[a-z][{upper_accented}][{start_punctuation}{currency}])"
          R"(|[{box}][{kaomoji}])"
          R"(|[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}][{box}])"
          R"(|[{box}][{end_punctuation}])"
          R"(|[{lower_accented}{upper_accented}][{end_punctuation}][\p{L}\p{N}_])"
          R"(|[Œœ][^A-Za-z])"
          R"(|[ÂÃÎÐ][€Šš¢£Ÿž\xa0\xad®©°·»{start_punctuation}{end_punctuation}–—´])"
          R"(|×[²³])"
          R"(|[ØÙ][{common}{currency}{bad}{numeric}{start_punctuation}ŸŠ®°µ»])"
          R"([ØÙ][{common}{currency}{bad}{numeric}{start_punctuation}ŸŠ®°µ»])"
          R"(|à[²µ¹¼½¾])"
          R"(|√[±∂†≠®™´≤≥¥µø])"
          R"(|≈[°¢])"
          R"(|‚Ä[ìîïòôúùû†°¢π])"
          R"(|‚[âó][àä°ê])"
          R"(|вЂ)"
          R"(|[ВГРС][{c1}{bad}{start_punctuation}{end_punctuation}{currency}°µ][ВГРС])"
          R"(|ГўВЂВ[^\n][A-Za-z\x20])"
          R"(|Ã[\xa0¡])"
          R"(|[a-z][\p{White_Space}\x{1C}-\x{1F}]?[ÃÂ][\x20])"
          R"(|^[ÃÂ][\x20])"
          R"(|[a-z.,?!{end_punctuation}]Â[\x20{start_punctuation}{end_punctuation}])"
          R"(|β€[™\xa0Ά\xad®°])"
          R"(|[ΒΓΞΟ][{c1}{bad}{start_punctuation}{end_punctuation}{currency}°][ΒΓΞΟ])")
          .c_str());
  return re;
}

// chardata.UTF8_DETECTOR_RE.
const Regex &utf8_detector_re() {
  static const Regex re(expand(R"((?<![{utf8_continuation_strict}]))"
                               R"(([{utf8_first_of_2}][{utf8_continuation}])"
                               R"(|[{utf8_first_of_3}][{utf8_continuation}]{2})"
                               R"(|[{utf8_first_of_4}][{utf8_continuation}]{3})+)")
                            .c_str());
  return re;
}

// chardata.ALTERED_UTF8_RE (bytes).
const Regex &altered_utf8_re() {
  static const Regex re(R"([\xc2\xc3\xc5\xce\xd0\xd9][\x20])"
                        R"(|[\xe2\xe3][\x20][\x80-\x84\x86-\x9f\xa1-\xbf])"
                        R"(|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf][\x20])"
                        R"(|[\xf0][\x20][\x80-\xbf][\x80-\xbf])"
                        R"(|[\xf0][\x80-\xbf][\x20][\x80-\xbf])"
                        R"(|[\xf0][\x80-\xbf][\x80-\xbf][\x20])");
  return re;
}

// fixes.A_GRAVE_WORD_RE (bytes).
const Regex &a_grave_word_re() {
  static const Regex re(R"(\xc3\x20(?!\x20|quele|quela|quilo|s\x20))");
  return re;
}

// chardata.LOSSY_UTF8_RE (bytes).
const Regex &lossy_utf8_re() {
  static const Regex re(R"([\xc2-\xdf][\x1a])"
                        R"(|[\xc2-\xc3][?])"
                        R"(|\xed[\xa0-\xaf][\x1a?]\xed[\xb0-\xbf][\x1a?\x80-\xbf])"
                        R"(|\xed[\xa0-\xaf][\x1a?\x80-\xbf]\xed[\xb0-\xbf][\x1a?])"
                        R"(|[\xe0-\xef][\x1a?][\x1a\x80-\xbf])"
                        R"(|[\xe0-\xef][\x1a\x80-\xbf][\x1a?])"
                        R"(|[\xf0-\xf4][\x1a?][\x1a\x80-\xbf][\x1a\x80-\xbf])"
                        R"(|[\xf0-\xf4][\x1a\x80-\xbf][\x1a?][\x1a\x80-\xbf])"
                        R"(|[\xf0-\xf4][\x1a\x80-\xbf][\x1a\x80-\xbf][\x1a?])"
                        R"(|\x1a)");
  return re;
}

const Regex &c1_control_re() {
  static const Regex re(R"([\x80-\x9f])");
  return re;
}

bool is_ascii(const UnicodeString &text) {
  for (int32_t i = 0; i < text.length(); ++i) {
    if (text.charAt(i) > 0x7F) return false;
  }
  return true;
}

// fixes.restore_byte_a0 on bytes.
std::string restore_byte_a0(const std::string &bytes) {
  UnicodeString s =
      a_grave_word_re().sub(ftfy::bytes_as_latin1(bytes), UnicodeString(u"\u00c3\u00a0 "));
  s = altered_utf8_re().sub(s, [](const icu::RegexMatcher &m) {
    UnicodeString g = icu_util::group(m);
    g.findAndReplace(UnicodeString(u" "), UnicodeString(u"\u00a0"));
    return g;
  });
  return latin1_as_bytes(s);
}

// fixes.replace_lossy_sequences on bytes: lossy UTF-8 becomes the UTF-8 of U+FFFD.
std::string replace_lossy_sequences(const std::string &bytes) {
  return latin1_as_bytes(
      lossy_utf8_re().sub(bytes_as_latin1(bytes), UnicodeString(u"\u00ef\u00bf\u00bd")));
}

// fixes.decode_inconsistent_utf8.
UnicodeString decode_inconsistent_utf8(const UnicodeString &text) {
  return utf8_detector_re().sub(text, [&](const icu::RegexMatcher &m) {
    UnicodeString substr = icu_util::group(m);
    // Only a strictly shorter piece, so that this cannot recurse forever.
    if (substr.length() < text.length() && is_bad(substr)) return fix_encoding(substr);
    return substr;
  });
}

// _fix_encoding_one_step_and_explain.
UnicodeString fix_encoding_one_step(const UnicodeString &text) {
  if (text.isEmpty()) return text;
  if (is_ascii(text) || !is_bad(text)) return text;

  bool latin1_possible = false;
  for (const SingleByteCodec &codec : charmap_encodings()) {
    if (!codec.can_encode(text)) continue;
    if (&codec == &latin1()) latin1_possible = true;
    std::string bytes = codec.encode(text);
    if (altered_utf8_re().search(bytes_as_latin1(bytes))) bytes = restore_byte_a0(bytes);
    if (codec.sloppy()) bytes = replace_lossy_sequences(bytes);
    const bool variants =
        bytes.find('\xED') != std::string::npos || bytes.find('\xC0') != std::string::npos;
    if (auto fixed = decode_utf8(bytes, variants)) return *fixed;
  }

  if (utf8_detector_re().search(text)) {
    UnicodeString fixed = decode_inconsistent_utf8(text);
    if (fixed != text) return fixed;
  }

  // ftfy 6.1.1 checks `"windows-1252" in possible_1byte_encodings`, but that list holds
  // "sloppy-windows-1252", so the "probably legit" early return never fires: Latin-1 text
  // is always re-read as strict windows-1252 here.
  if (latin1_possible) {
    if (auto fixed = decode_windows_1252_strict(latin1().encode(text))) {
      if (*fixed != text) return *fixed;
    }
  }

  if (c1_control_re().search(text)) return fix_c1_controls(text);
  return text;
}

}  // namespace

bool is_bad(const UnicodeString &text) { return badness_re().search(text); }

UnicodeString fix_encoding(const UnicodeString &text) {
  UnicodeString current = text;
  while (true) {
    UnicodeString next = fix_encoding_one_step(current);
    if (next == current) return next;
    current = std::move(next);
  }
}

UnicodeString fix_c1_controls(const UnicodeString &text) {
  return c1_control_re().sub(text, [](const icu::RegexMatcher &m) {
    const UnicodeString g = icu_util::group(m);
    return UnicodeString(sloppy_windows_1252().decode(uint8_t(g.charAt(0))));
  });
}

}  // namespace amused::text::ftfy
