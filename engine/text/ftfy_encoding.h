// ftfy 6.1.1's mojibake repair (internal header): `fix_encoding` with its default
// TextFixerConfig (restore_byte_a0, replace_lossy_sequences, decode_inconsistent_utf8 and
// fix_c1_controls all on), the `is_bad` heuristic of ftfy/badness.py, and fix_c1_controls.
#pragma once

#include <unicode/unistr.h>

namespace amused::text::ftfy {

// badness.is_bad: the text contains a sequence that is much more likely mojibake than
// intended (e.g. "Ã©" for "é").
bool is_bad(const icu::UnicodeString &text);

// ftfy.fix_encoding: re-decodes mojibake until nothing changes.
icu::UnicodeString fix_encoding(const icu::UnicodeString &text);

// fixes.fix_c1_controls: C1 controls U+0080..U+009F read as their windows-1252 characters.
icu::UnicodeString fix_c1_controls(const icu::UnicodeString &text);

}  // namespace amused::text::ftfy
