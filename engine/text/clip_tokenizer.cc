#include "text/clip_tokenizer.h"

#include <unicode/regex.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "amused.h"
#include "text/bpe.h"
#include "text/icu_util.h"
#include "text/text_cleaning.h"

namespace amused::text {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// transformers reads merges[1 : 49152 - 256 - 2 + 1]: the header line is skipped and at
// most this many merges are used (CLIP's vocabulary: 49152 - 256 byte symbols - 2 specials).
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr int kDefaultMaxLength = 77;

// CLIPTokenizer.pat, with Python's `\s` (regex module: White_Space) spelled out; matched
// case-insensitively like the original (so e.g. "'ſ" is a contraction as in Python).
constexpr const char *kPattern =
    R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N})"
    R"(|[^\p{White_Space}\p{L}\p{N}]+)";

// CLIPTokenizer's cache is seeded with these two, so they bypass BPE (no "</w>") when they
// reappear after lower-casing, e.g. from "<|EndOfText|>".
constexpr const char *kCachedSpecials[] = {"<|startoftext|>", "<|endoftext|>"};

std::string read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return ss.str();
}

json read_json(const fs::path &path) {
  const std::string text = read_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception &e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

std::unordered_map<std::string, int64_t> load_vocab(const fs::path &path) {
  const json j = read_json(path);
  if (!j.is_object()) throw Error(path.string() + ": expected a JSON object token -> id");
  std::unordered_map<std::string, int64_t> vocab;
  vocab.reserve(j.size());
  for (const auto &[token, id] : j.items()) {
    if (!id.is_number_integer()) {
      throw Error(path.string() + ": id of token \"" + token + "\" is not an integer");
    }
    vocab.emplace(token, id.get<int64_t>());
  }
  if (vocab.empty()) throw Error(path.string() + ": vocabulary is empty");
  return vocab;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::pair<std::string, std::string>> load_merges(const fs::path &path) {
  const std::string text = read_file(path);
  // Python: text.strip().split("\n"), then line 0 (the "#version" header) is dropped.
  size_t begin = 0;
  size_t end = text.size();
  size_t line_no = 1;
  while (begin < end && is_space(text[begin])) line_no += text[begin++] == '\n';
  while (end > begin && is_space(text[end - 1])) --end;

  std::vector<std::pair<std::string, std::string>> merges;
  bool header = true;
  for (size_t pos = begin; pos < end && merges.size() < kMaxMerges; ++line_no) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos || eol > end) eol = end;
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (header) {
      header = false;
      continue;
    }
    std::istringstream fields(line);
    std::string left, right, extra;
    if (!(fields >> left >> right) || (fields >> extra)) {
      throw Error(path.string() + ": line " + std::to_string(line_no) +
                  ": expected two symbols separated by a space, got \"" + line + "\"");
    }
    merges.emplace_back(std::move(left), std::move(right));
  }
  return merges;
}

// A special token entry: a plain string or an AddedToken object {"content": ...}.
std::optional<std::string> token_content(const json &v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

struct ClipTokenizer::Impl {
  explicit Impl(const std::vector<std::pair<std::string, std::string>> &merges)
      : bpe(merges), pattern(kPattern, UREGEX_CASE_INSENSITIVE) {}

  std::unordered_map<std::string, int64_t> vocab;
  BpeModel bpe;
  // Tokens matched verbatim in the raw text before any normalisation (transformers'
  // added-tokens trie): the special tokens and tokenizer_config's added_tokens_decoder.
  std::map<std::string, int64_t> added;
  icu_util::Regex pattern;
  int64_t bos = 0, eos = 0, pad = 0, unk = 0;
  int max_length = kDefaultMaxLength;

  void tokenize_chunk(const std::string &chunk, std::vector<std::string> *out) const;
  std::vector<std::string> tokenize(const std::string &text) const;
  int64_t id_of(const std::string &token) const;
};

void ClipTokenizer::Impl::tokenize_chunk(const std::string &chunk,
                                         std::vector<std::string> *out) const {
  icu::UnicodeString text = icu_util::from_utf8(clean_whitespace_and_lower(fix_text(chunk)));
  // U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to a letter, so ICU's case-closed
  // \p{L} takes it while Python's `regex` matches it with no alternative: findall skips it
  // and it ends a letter run there. A space is treated exactly that way. (An exhaustive
  // check of every code point found no other difference between the two engines.)
  text.findAndReplace(icu::UnicodeString(UChar32(0x0345)), icu::UnicodeString(u" "));
  auto m = pattern.matcher(text);
  UErrorCode status = U_ZERO_ERROR;
  while (m->find(status) && U_SUCCESS(status)) {
    const std::string word = icu_util::to_utf8(m->group(status));
    bool special = false;
    for (const char *s : kCachedSpecials) special = special || word == s;
    if (special) {
      out->push_back(word);
      continue;
    }
    for (int32_t sym : bpe.encode_word(word)) out->push_back(bpe.symbol(sym));
  }
}

std::vector<std::string> ClipTokenizer::Impl::tokenize(const std::string &text) const {
  std::vector<std::string> out;
  size_t start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // Leftmost, then longest, added token at this position.
    const std::string *hit = nullptr;
    for (const auto &[token, id] : added) {
      if (!token.empty() && text.compare(pos, token.size(), token) == 0 &&
          (hit == nullptr || token.size() > hit->size())) {
        hit = &token;
      }
    }
    if (hit == nullptr) {
      ++pos;
      continue;
    }
    if (pos > start) tokenize_chunk(text.substr(start, pos - start), &out);
    out.push_back(*hit);
    pos += hit->size();
    start = pos;
  }
  if (start < text.size()) tokenize_chunk(text.substr(start), &out);
  return out;
}

int64_t ClipTokenizer::Impl::id_of(const std::string &token) const {
  if (auto it = added.find(token); it != added.end()) return it->second;
  if (auto it = vocab.find(token); it != vocab.end()) return it->second;
  return unk;
}

ClipTokenizer ClipTokenizer::from_folder(const fs::path &dir) {
  const fs::path vocab_path = dir / "vocab.json";
  const fs::path merges_path = dir / "merges.txt";
  auto vocab = load_vocab(vocab_path);
  auto impl = std::make_shared<Impl>(load_merges(merges_path));
  impl->vocab = std::move(vocab);

  // Special tokens: defaults, then tokenizer_config.json, then special_tokens_map.json
  // (which transformers applies last).
  std::map<std::string, std::string> special = {{"bos_token", "<|startoftext|>"},
                                                {"eos_token", "<|endoftext|>"},
                                                {"pad_token", "<|endoftext|>"},
                                                {"unk_token", "<|endoftext|>"}};
  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    const json config = read_json(config_path);
    if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
    if (config.contains("model_max_length")) {
      const json &v = config["model_max_length"];
      if (!v.is_number_integer() || v.get<int64_t>() < 2 || v.get<int64_t>() > (1 << 20)) {
        throw Error(config_path.string() + ": model_max_length must be an integer in [2, " +
                    std::to_string(1 << 20) + "], got " + v.dump());
      }
      impl->max_length = int(v.get<int64_t>());
    }
    for (auto &[key, value] : special) {
      if (config.contains(key)) {
        if (auto content = token_content(config[key])) value = *content;
      }
    }
    if (config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object()) {
      for (const auto &[id, entry] : config["added_tokens_decoder"].items()) {
        auto content = token_content(entry);
        if (!content) continue;
        try {
          impl->added[*content] = std::stoll(id);
        } catch (const std::exception &) {
          throw Error(config_path.string() + ": added_tokens_decoder key \"" + id +
                      "\" is not an id");
        }
      }
    }
  }
  const fs::path map_path = dir / "special_tokens_map.json";
  if (fs::exists(map_path)) {
    const json map = read_json(map_path);
    if (!map.is_object()) throw Error(map_path.string() + ": expected a JSON object");
    for (auto &[key, value] : special) {
      if (map.contains(key)) {
        if (auto content = token_content(map[key])) value = *content;
      }
    }
  }
  for (const auto &[key, token] : special) {
    if (impl->added.count(token)) continue;
    auto it = impl->vocab.find(token);
    if (it == impl->vocab.end()) {
      throw Error(vocab_path.string() + ": " + key + " \"" + token + "\" is not in the vocabulary");
    }
    impl->added[token] = it->second;
  }
  impl->bos = impl->added.at(special["bos_token"]);
  impl->eos = impl->added.at(special["eos_token"]);
  impl->pad = impl->added.at(special["pad_token"]);
  impl->unk = impl->added.at(special["unk_token"]);
  return ClipTokenizer(std::move(impl));
}

ClipTokenizer::ClipTokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

std::vector<std::string> ClipTokenizer::bpe_tokens(const std::string &text) const {
  return impl_->tokenize(text);
}

std::vector<int64_t> ClipTokenizer::encode(const std::string &text) const {
  std::vector<int64_t> ids{impl_->bos};
  for (const std::string &token : impl_->tokenize(text)) ids.push_back(impl_->id_of(token));
  ids.push_back(impl_->eos);
  return ids;
}

std::vector<int64_t> ClipTokenizer::encode_padded(const std::string &text) const {
  std::vector<int64_t> ids = encode(text);
  const size_t max_len = size_t(impl_->max_length);
  if (ids.size() > max_len) {  // truncation="longest_first": drop tokens, keep bos/eos
    ids.resize(max_len - 1);
    ids.push_back(impl_->eos);
  }
  ids.resize(max_len, impl_->pad);
  return ids;
}

int64_t ClipTokenizer::bos_id() const { return impl_->bos; }
int64_t ClipTokenizer::eos_id() const { return impl_->eos; }
int64_t ClipTokenizer::pad_id() const { return impl_->pad; }
int ClipTokenizer::max_length() const { return impl_->max_length; }
size_t ClipTokenizer::vocab_size() const { return impl_->vocab.size(); }

}  // namespace amused::text
