#!/usr/bin/env python3
"""Writes the extra goldens of tests/data/clip-tokenizer/golden/ that guard the ftfy port.

The fixture goldens (tokens.json, 41 prompts) come from transformers v4.38.2 itself. These
extra ones come from the real ftfy 6.1.1 (source checkout, MIT licence) plus the
CLIPTokenizer code below, transcribed from transformers v4.38.2
src/transformers/models/clip/tokenization_clip.py (bpe, _tokenize) with the added-token
split of PreTrainedTokenizer.tokenize; the script first checks that this transcription
reproduces all 41 prompts of tokens.json and stops otherwise.

    python3 tests/text/gen_extra_goldens.py --ftfy-src PATH_TO_python-ftfy_AT_v6.1.1

Needs Python 3 with the `regex` module (Debian: python3-regex) and ftfy's own import-time
dependency `wcwidth`.

Outputs:
  ftfy_fix_text.json  {"cases": [{"text", "fix_text", "is_bad"}]}: ftfy's own test corpus
                      (tests/test_cases.json) plus hand-picked edge cases.
  extra_tokens.json   {"cases": [{"prompt", "bpe_tokens", "ids_unpadded"}]}: the edge cases
                      and seeded random prompts (mojibake, entities, odd Unicode).
"""
import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "clip-tokenizer")


def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


class ReferenceClipTokenizer:
    def __init__(self, folder, ftfy, regex):
        self.ftfy, self.re = ftfy, regex
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        self.byte_encoder = bytes_to_unicode()
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            bpe_merges = f.read().strip().split("\n")[1: 49152 - 256 - 2 + 1]
        bpe_merges = [tuple(merge.split()) for merge in bpe_merges]
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE)
        self.added = {"<|startoftext|>": 49406, "<|endoftext|>": 49407}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = set(zip(word[:-1], word[1:]))
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                else:
                    new_word.extend(word[i:j])
                    i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = set(zip(word[:-1], word[1:]))
        word = " ".join(word)
        self.cache[token] = word
        return word

    def _tokenize(self, text):
        text = self.re.sub(r"\s+", " ", self.ftfy.fix_text(text)).strip().lower()
        out = []
        for token in self.re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            out.extend(self.bpe(token).split(" "))
        return out

    def tokenize(self, text):
        # PreTrainedTokenizer.tokenize: added tokens are cut out of the raw text first.
        out, start, i = [], 0, 0
        while i < len(text):
            hit = next((t for t in self.added if text.startswith(t, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                out.extend(self._tokenize(text[start:i]))
            out.append(hit)
            i += len(hit)
            start = i
        if start < len(text):
            out.extend(self._tokenize(text[start:]))
        return out

    def encode(self, text):
        unk = self.encoder["<|endoftext|>"]
        ids = [self.added.get(t, self.encoder.get(t, unk)) for t in self.tokenize(text)]
        return [49406] + ids + [49407]


EDGE_CASES = [
    # HTML entities under ftfy's rules
    "&amp;lt;b&amp;gt;", "a < b &amp; c", "line one &amp;\n<b> &amp;\nthird &amp; line",
    "&#59; &#x3B; &#65;&#x42;&#X43; &#0; &#128; &#x81; &#x85; &#13; &#11; &#1114112;",
    "&#xD800; &#x1F600; &#65abc; &#abc; &#x; &#99999999999999999999; &#x10FFFE;",
    "&EACUTE; &SZLIG; &nTILDE; &NTILDE; &Jscr;ohn &HilbertSpace; &amp &AMP; &checkmark;",
    "P&EACUTE;REZ &hellip; &nbsp;x &macr;\\_(&#x30c4;)_/&macr;",
    # terminal escapes, control characters, line breaks
    "\x1b[36;44mI'm blue\x1b[0m \x1b[1;2;3X done", "\x00a\x08b\x0bc\x7fd\ufeffe\u206af\ufffcg\x1ch",
    "a\r\nb\rc\u2028d\u2029e\x85f", "tab\tvertical\x0bform\x0cfeed",
    # ligatures, widths, quotes, normalisation
    "\u0132\u0133\u0149\u01f1\u01f2\u01f3\u01c4\u01c5\u01c6\u01c7\u01c8\u01c9\u01ca\u01cb\u01cc",
    "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06 fluffiest", "ＬＯＵＤ　ＮＯＩＳＥＳ Ｕﾀｰﾝ ｶﾞｷﾞ ﾟ ￠￡￢",
    "\u02bcn \u2018a\u2019 \u201ab\u201b \u201cc\u201d \u201ed\u201f", "e\u0301 \u212b n\u0303 \u1e9b\u0323",
    # mojibake
    "sÃ³ voilÃ le travail", "Ã  la mode", "â€œ like this â€\ufffd", "ÄŒeÅ¡tina Ã¡ ðŸ˜€",
    "âœ” No problems", "Ã¢â‚¬Å“doubleâ€\x9d", "í\xa0½í¸\x80 java \xc0\x80 null",
    "The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "\x80\x9f\x81 c1",
    # case folding and the split regex
    "'ſ 'S 'LL K İstanbul ΟΔΟΣ ΣΑΣ. ß ǅ", "a\u0345b \u03b1\u0345 '\u0345s x\u0345", "<|EndOfText|> <|STARTOFTEXT|>x",
    "a<|endoftext|>b<|startoftext|>", "<|startoftext|><|endoftext|>",
]


def fuzz_prompts(n, seed, html_entities):
    rng = random.Random(seed)
    words = ("a photo of cat dog it's we're I'm you'll he'd isn't café crème naïve Zürich "
             "東京 한국어 😀 🐱 👍🏽 ﬁne ＦＵＬＬ １２３ “quotes” ‘single’ — … &amp; &lt; &eacute; &EACUTE; "
             "&#39; &#x2019; &#65; &#0; &#128; &#59; <b> </b> 1080p 3.14 $100 50% \t \n \r\n "
             "\x1b[31m \x00 \x7f \u200b \u2028 \u00a0 \u3000 \ufeff \u0345 ſ K İ Σ ΟΔΟΣ ß ǅ ĳ ŉ ﬅ "
             "e\u0301 ᾳ").split(" ")
    ranges = [(0x20, 0x7e), (0xa0, 0xff), (0x80, 0x9f), (0x100, 0x17f), (0x370, 0x3ff),
              (0x400, 0x45f), (0x2000, 0x206f), (0x2500, 0x259f), (0xff01, 0xffef),
              (0x4e00, 0x4e80), (0xac00, 0xac40), (0x1f600, 0x1f64f), (0x300, 0x36f),
              (0x0, 0x1f), (0xfb00, 0xfb06), (0x2c6, 0x2dd)]
    codecs = ["latin-1", "cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "iso-8859-2",
              "mac_roman", "cp437", "sloppy-windows-1252", "sloppy-windows-1251"]
    entities = sorted(html_entities)

    def text(n_words):
        out = []
        for _ in range(n_words):
            r = rng.random()
            if r < 0.35:
                out.append(rng.choice(words))
            elif r < 0.55:
                a, b = rng.choice(ranges)
                out.append("".join(chr(rng.randint(a, b)) for _ in range(rng.randint(1, 4))))
            elif r < 0.62:
                out.append(rng.choice(entities))
            elif r < 0.67:
                num = rng.randint(0, 0x11000)
                out.append("&#%d;" % num if rng.random() < 0.5 else "&#x%X;" % num)
            else:
                out.append(rng.choice(["the", "a", "red", "car", "sky", "!!", "...", "-", "'s", "'S"]))
            out.append(rng.choice([" ", " ", " ", "", "  ", "\t", "\n", ",", "'"]))
        return "".join(out)

    def mojibake(s):
        enc = rng.choice(codecs)
        m = s.encode("utf-8").decode(enc, errors="replace")
        return m.replace("\xa0", " ") if rng.random() < 0.3 else m

    prompts = []
    for _ in range(n):
        t = text(rng.randint(1, 12))
        r = rng.random()
        if r < 0.35:
            t = mojibake(t)
        elif r < 0.55:
            parts = t.split(" ")
            k = rng.randrange(len(parts))
            parts[k] = mojibake(parts[k])
            t = " ".join(parts)
        elif r < 0.6:
            t = mojibake(mojibake(t))
        prompts.append(t)
    return prompts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ftfy-src", required=True, help="python-ftfy checkout at tag v6.1.1")
    parser.add_argument("--fuzz", type=int, default=600)
    args = parser.parse_args()
    sys.path.insert(0, args.ftfy_src)
    import ftfy
    import ftfy.bad_codecs  # noqa: F401 (registers the sloppy codecs)
    import regex
    from ftfy.badness import is_bad
    from ftfy.chardata import HTML_ENTITIES
    assert ftfy.__version__ == "6.1.1", ftfy.__version__

    tok = ReferenceClipTokenizer(DATA, ftfy, regex)
    with open(os.path.join(DATA, "golden", "tokens.json"), encoding="utf-8") as f:
        for case in json.load(f)["cases"]:
            if tok.tokenize(case["prompt"]) != case["bpe_tokens"]:
                sys.exit("reference transcription disagrees with tokens.json: %r" % case["prompt"])

    with open(os.path.join(args.ftfy_src, "tests", "test_cases.json"), encoding="utf-8") as f:
        ftfy_corpus = [c["original"] for c in json.load(f)]
    texts = ftfy_corpus + EDGE_CASES
    fix = [{"text": t, "fix_text": ftfy.fix_text(t), "is_bad": is_bad(t)} for t in texts]
    prompts = EDGE_CASES + fuzz_prompts(args.fuzz, 1234, HTML_ENTITIES)
    tokens = [{"prompt": p, "bpe_tokens": tok.tokenize(p), "ids_unpadded": tok.encode(p)}
              for p in prompts]
    note = ("generated by tests/text/gen_extra_goldens.py with ftfy 6.1.1 and a transcription of "
            "transformers v4.38.2 CLIPTokenizer checked against tokens.json")
    for name, cases in (("ftfy_fix_text.json", fix), ("extra_tokens.json", tokens)):
        with open(os.path.join(DATA, "golden", name), "w", encoding="utf-8") as f:
            json.dump({"description": note, "cases": cases}, f, ensure_ascii=True, indent=0)
            f.write("\n")


if __name__ == "__main__":
    main()
