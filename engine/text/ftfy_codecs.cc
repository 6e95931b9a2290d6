#include "text/ftfy_codecs.h"

#include <unicode/ucnv.h>

#include <memory>

#include "amused.h"

namespace amused::text::ftfy {
namespace {

constexpr UChar32 kUndefined = -1;

// One byte through an ICU converter; kUndefined where ICU has no mapping.
UChar32 icu_decode_byte(UConverter *conv, uint8_t byte) {
  UErrorCode status = U_ZERO_ERROR;
  ucnv_reset(conv);
  const char in = char(byte);
  UChar out[4];
  const int32_t n = ucnv_toUChars(conv, out, 4, &in, 1, &status);
  if (U_FAILURE(status) || n != 1) return kUndefined;
  return out[0];
}

bool is_cont(uint8_t b) { return b >= 0x80 && b <= 0xBF; }

}  // namespace

SingleByteCodec::SingleByteCodec(std::string name, const char *icu_name, bool sloppy)
    : name_(std::move(name)), sloppy_(sloppy) {
  for (int b = 0; b < 0x80; ++b) decode_[b] = b;
  if (icu_name == nullptr) {  // latin-1
    for (int b = 0x80; b < 0x100; ++b) decode_[b] = b;
  } else {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UConverter, decltype(&ucnv_close)> conv(ucnv_open(icu_name, &status),
                                                            &ucnv_close);
    if (U_FAILURE(status)) {
      throw Error(std::string("text: ICU has no converter for ") + icu_name + ": " +
                  u_errorName(status));
    }
    ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    for (int b = 0x80; b < 0x100; ++b) {
      const UChar32 c = icu_decode_byte(conv.get(), uint8_t(b));
      // sloppy.py: bytes the code page leaves unassigned decode as in Latin-1.
      decode_[b] = (c == kUndefined && sloppy_) ? b : c;
    }
  }
  // Python's cp437 table gives 0xE6 as U+00B5 MICRO SIGN; ICU's ibm-437 gives the
  // look-alike U+03BC GREEK SMALL LETTER MU. Every other byte of the nine tables agrees.
  if (name_ == "cp437") decode_[0xE6] = 0x00B5;
  // sloppy.py: byte 1A stands for U+FFFD, so that lossy mojibake can still be re-encoded.
  if (sloppy_) decode_[0x1A] = 0xFFFD;
  for (int b = 0; b < 0x100; ++b) {
    if (decode_[b] != kUndefined) encode_[decode_[b]] = uint8_t(b);
  }
}

bool SingleByteCodec::can_encode(const icu::UnicodeString &text) const {
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    if (encode_.find(c) == encode_.end()) return false;
    i += U16_LENGTH(c);
  }
  return true;
}

std::string SingleByteCodec::encode(const icu::UnicodeString &text) const {
  std::string out;
  out.reserve(size_t(text.length()));
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    out.push_back(char(encode_.at(c)));
    i += U16_LENGTH(c);
  }
  return out;
}

const std::vector<SingleByteCodec> &charmap_encodings() {
  static const std::vector<SingleByteCodec> codecs = [] {
    std::vector<SingleByteCodec> v;
    v.emplace_back("latin-1", nullptr, false);
    v.emplace_back("sloppy-windows-1252", "windows-1252", true);
    v.emplace_back("sloppy-windows-1251", "windows-1251", true);
    v.emplace_back("sloppy-windows-1250", "windows-1250", true);
    v.emplace_back("sloppy-windows-1253", "windows-1253", true);
    v.emplace_back("sloppy-windows-1254", "windows-1254", true);
    v.emplace_back("iso-8859-2", "ISO-8859-2", false);
    v.emplace_back("macroman", "macintosh", false);
    v.emplace_back("cp437", "ibm-437", false);
    return v;
  }();
  return codecs;
}

const SingleByteCodec &latin1() { return charmap_encodings()[0]; }
const SingleByteCodec &sloppy_windows_1252() { return charmap_encodings()[1]; }

std::optional<icu::UnicodeString> decode_windows_1252_strict(std::string_view bytes) {
  const SingleByteCodec &codec = sloppy_windows_1252();
  icu::UnicodeString out;
  for (const char ch : bytes) {
    const uint8_t b = uint8_t(ch);
    if (b == 0x1A) {
      out.append(UChar32(0x1A));
      continue;
    }
    const UChar32 c = codec.decode(b);
    // The five holes of windows-1252 (81, 8D, 8F, 90, 9D) are exactly the C1 bytes that the
    // sloppy table passes through unchanged; Python's strict codec rejects them.
    if (b >= 0x80 && b <= 0x9F && c == b) return std::nullopt;
    out.append(c);
  }
  return out;
}

std::optional<icu::UnicodeString> decode_utf8(std::string_view bytes, bool variants) {
  icu::UnicodeString out;
  const size_t n = bytes.size();
  auto at = [&](size_t i) { return uint8_t(bytes[i]); };
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = at(i);
    if (variants) {
      if (b0 == 0xC0 && i + 1 < n && at(i + 1) == 0x80) {  // Java's U+0000
        out.append(UChar32(0));
        i += 2;
        continue;
      }
      // CESU-8: ED [A0-AF] [80-BF] ED [B0-BF] [80-BF] is a UTF-16 surrogate pair.
      if (b0 == 0xED && i + 5 < n && at(i + 1) >= 0xA0 && at(i + 1) <= 0xAF && is_cont(at(i + 2)) &&
          at(i + 3) == 0xED && at(i + 4) >= 0xB0 && at(i + 4) <= 0xBF && is_cont(at(i + 5))) {
        const UChar32 c = ((at(i + 1) & 0x0F) << 16) + ((at(i + 2) & 0x3F) << 10) +
                          ((at(i + 4) & 0x0F) << 6) + (at(i + 5) & 0x3F) + 0x10000;
        out.append(c);
        i += 6;
        continue;
      }
    }
    // Strict UTF-8 (RFC 3629 table of well-formed sequences), as Python's decoder.
    int len = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    UChar32 c = 0;
    if (b0 < 0x80) {
      len = 1;
      c = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      c = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      c = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return std::nullopt;
    }
    if (i + size_t(len) > n) return std::nullopt;
    for (int k = 1; k < len; ++k) {
      const uint8_t b = at(i + size_t(k));
      if (k == 1 ? (b < lo || b > hi) : !is_cont(b)) return std::nullopt;
      c = (c << 6) | (b & 0x3F);
    }
    out.append(c);
    i += size_t(len);
  }
  return out;
}

icu::UnicodeString bytes_as_latin1(std::string_view bytes) {
  icu::UnicodeString out;
  for (const char ch : bytes) out.append(UChar(uint8_t(ch)));
  return out;
}

std::string latin1_as_bytes(const icu::UnicodeString &text) {
  std::string out;
  out.reserve(size_t(text.length()));
  for (int32_t i = 0; i < text.length(); ++i) out.push_back(char(uint8_t(text.charAt(i))));
  return out;
}

}  // namespace amused::text::ftfy
