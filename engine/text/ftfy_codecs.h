// The byte encodings that ftfy 6.1.1 uses to undo mojibake (internal header): its
// CHARMAP_ENCODINGS, including the "sloppy" Windows code pages (ftfy/bad_codecs/sloppy.py),
// and its "utf-8-variants" decoder (ftfy/bad_codecs/utf8_variants.py).
#pragma once

#include <unicode/unistr.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace amused::text::ftfy {

// A single-byte character map. The tables come from ICU's converters for bytes 0x80-0xFF
// (bytes below 0x80 are ASCII in all of them, as ftfy assumes).
class SingleByteCodec {
 public:
  SingleByteCodec(std::string name, const char *icu_name, bool sloppy);

  const std::string &name() const { return name_; }
  bool sloppy() const { return sloppy_; }
  UChar32 decode(uint8_t byte) const { return decode_[byte]; }
  // chardata.possible_encoding: every character of `text` is the image of some byte.
  bool can_encode(const icu::UnicodeString &text) const;
  // text.encode(name); only valid when can_encode(text).
  std::string encode(const icu::UnicodeString &text) const;

 private:
  std::string name_;
  bool sloppy_;
  std::array<UChar32, 256> decode_{};
  std::unordered_map<UChar32, uint8_t> encode_;
};

// chardata.CHARMAP_ENCODINGS, in the order ftfy tries them: latin-1, sloppy-windows-1252,
// -1251, -1250, -1253, -1254, iso-8859-2, macroman, cp437.
const std::vector<SingleByteCodec> &charmap_encodings();
const SingleByteCodec &latin1();
const SingleByteCodec &sloppy_windows_1252();

// bytes.decode("windows-1252") (strict, Python's table): nullopt where Python raises.
std::optional<icu::UnicodeString> decode_windows_1252_strict(std::string_view bytes);

// bytes.decode("utf-8") (strict: no surrogates, no overlong forms) or, with `variants`,
// bytes.decode("utf-8-variants"), which also accepts CESU-8 surrogate pairs and the Java
// null C0 80. nullopt where Python raises UnicodeDecodeError.
std::optional<icu::UnicodeString> decode_utf8(std::string_view bytes, bool variants);

// Bytes <-> "Latin-1 strings" (one UTF-16 unit per byte) so that ftfy's byte regexes can
// run through ICU regex.
icu::UnicodeString bytes_as_latin1(std::string_view bytes);
std::string latin1_as_bytes(const icu::UnicodeString &text);

}  // namespace amused::text::ftfy
