// The ftfy 6.1.1 port: ftfy's own test corpus and hand-picked edge cases (outputs of the real
// ftfy 6.1.1), single fixers from ftfy's docstrings, and extra tokenizer goldens with
// mojibake, entities and odd Unicode (see tests/text/gen_extra_goldens.py).
#include "text/text_cleaning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "text/clip_tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace amused::text;

const fs::path kDataDir = fs::path(AMUSED_TEST_DATA_DIR) / "clip-tokenizer";

nlohmann::json load_cases(const std::string &name) {
  std::ifstream in(kDataDir / "golden" / name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in)["cases"];
}

TEST(FixText, MatchesFtfyOnItsCorpusAndEdgeCases) {
  const nlohmann::json cases = load_cases("ftfy_fix_text.json");
  ASSERT_GE(cases.size(), 170u);
  for (const auto &c : cases) {
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE("text: \"" + text + "\"");
    EXPECT_EQ(fix_text(text), c["fix_text"].get<std::string>());
    EXPECT_EQ(is_mojibake(text), c["is_bad"].get<bool>());
  }
}

TEST(FixText, ExtraTokenGoldens) {
  static const ClipTokenizer tok = ClipTokenizer::from_folder(kDataDir);
  const nlohmann::json cases = load_cases("extra_tokens.json");
  ASSERT_GE(cases.size(), 600u);
  for (const auto &c : cases) {
    const std::string prompt = c["prompt"].get<std::string>();
    SCOPED_TRACE("prompt: \"" + prompt + "\"");
    EXPECT_EQ(tok.bpe_tokens(prompt), c["bpe_tokens"].get<std::vector<std::string>>());
    EXPECT_EQ(tok.encode(prompt), c["ids_unpadded"].get<std::vector<int64_t>>());
  }
}

// Examples from the docstrings of ftfy 6.1.1.
TEST(FixText, FtfyDocstringExamples) {
  EXPECT_EQ(fix_text("âœ” No problems"), "✔ No problems");
  EXPECT_EQ(fix_text("&macr;\\_(ã\u0083\u0084)_/&macr;"), "¯\\_(ツ)_/¯");
  EXPECT_EQ(fix_text("Broken text&hellip; it&#x2019;s ﬂubberiﬁc!"),
            "Broken text… it's flubberific!");
  EXPECT_EQ(fix_text("ＬＯＵＤ　ＮＯＩＳＥＳ"), "LOUD NOISES");
  EXPECT_EQ(fix_encoding("Ã³"), "ó");
  EXPECT_EQ(fix_encoding("&ATILDE;&SUP3;"), "&ATILDE;&SUP3;");
  EXPECT_EQ(fix_encoding("voilÃ le travail"), "voilà le travail");
  EXPECT_EQ(unescape_html("&lt;tag&gt;"), "<tag>");
  EXPECT_EQ(unescape_html("&Jscr;ohn &HilbertSpace;ancock"), "𝒥ohn ℋancock");
  EXPECT_EQ(unescape_html("P&EACUTE;REZ"), "PÉREZ");
  EXPECT_EQ(unescape_html("BUNDESSTRA&SZLIG;E"), "BUNDESSTRASSE");
  EXPECT_EQ(unescape_html("&ntilde; &Ntilde; &NTILDE; &nTILDE;"), "ñ Ñ Ñ &nTILDE;");
}

TEST(FixText, HtmlIsLeftAloneOnceALineHasATag) {
  EXPECT_EQ(fix_text("&amp; a\n<b>&amp;</b>\n&amp;"), "& a\n<b>&amp;</b>\n&amp;");
  EXPECT_EQ(fix_text("&amp;amp;"), "&");  // fixed until nothing changes
}

TEST(FixText, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(fix_text("a\xff"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(fix_text(""), "");
}

TEST(WhitespaceAndLower, CollapsesStripsAndLowers) {
  EXPECT_EQ(clean_whitespace_and_lower("  A\t\n B\u3000\u00a0C  "), "a b c");
  EXPECT_EQ(clean_whitespace_and_lower("ΟΔΟΣ ΣΑΣ."), "οδος σας.");  // final sigma
  EXPECT_EQ(clean_whitespace_and_lower("İ"), "i\u0307");
  EXPECT_EQ(clean_whitespace_and_lower("\x1c"
                                       "a"),
            "a");  // str.strip() also takes \x1c-\x1f
}

}  // namespace
