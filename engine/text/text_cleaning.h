// Text clean-up in front of the CLIP tokenizer: a port of ftfy 6.1.1's `fix_text` with its
// default TextFixerConfig, which is what transformers' CLIPTokenizer applies to every prompt
// when ftfy is installed (as it is in the reference set-up that the goldens come from).
//
// All functions take and return UTF-8; invalid UTF-8 in the input is first replaced by
// U+FFFD, as Python's `bytes.decode("utf-8", errors="replace")` would. Thread-safe.
//
// Everything in fix_text is reproduced, mojibake repair included (checked against the real
// ftfy 6.1.1 on its own test corpus and on thousands of random prompts). What can differ:
// - Unicode data: NFC, NFKC (for the width map), lower-casing and letter/number classes
//   come from ICU (Unicode 15 for ICU 72), ftfy's from the Python it runs on; characters
//   whose properties changed between those Unicode versions may come out differently.
// - fix_surrogates is a no-op: lone surrogates cannot be written in UTF-8.
// - The single-byte code pages come from ICU's converters; they equal Python's codecs
//   except cp437 byte 0xE6, which is corrected to Python's U+00B5 in ftfy_codecs.cc.
#pragma once

#include <string>
#include <string_view>

namespace amused::text {

// ftfy.fix_text(text): per line, until nothing changes: unescape_html ("auto": off from
// the first line containing "<" on), fix_encoding (mojibake), fix_c1_controls,
// fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
// fix_surrogates, remove_terminal_escapes, remove_control_chars, then NFC.
std::string fix_text(std::string_view text);

// Single ftfy steps, exposed for tests.
std::string unescape_html(std::string_view text);  // fixes.unescape_html
std::string fix_encoding(std::string_view text);   // ftfy.fix_encoding
bool is_mojibake(std::string_view text);           // badness.is_bad

// transformers' whitespace_clean(text).lower() that follows fix_text in CLIPTokenizer:
// runs of White_Space become one space, str.strip(), then str.lower() (full Unicode
// lower-casing, final sigma included).
std::string clean_whitespace_and_lower(std::string_view text);

}  // namespace amused::text
