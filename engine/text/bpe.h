// Byte-level BPE as in transformers' CLIPTokenizer.bpe (internal header). Words are given
// as raw UTF-8 bytes; each byte becomes one printable "byte symbol" (GPT-2's
// bytes_to_unicode), the last one carrying the end-of-word marker "</w>", and adjacent
// symbols are merged lowest rank first until no ranked pair is left.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace amused::text {

// bytes_to_unicode(): byte -> the UTF-8 of the printable character that stands for it.
const std::array<std::string, 256> &byte_symbols();

class BpeModel {
 public:
  // `merges` in rank order (rank = index). A pair listed twice keeps its last rank, as
  // Python's dict(zip(merges, range(...))) does.
  explicit BpeModel(const std::vector<std::pair<std::string, std::string>> &merges);

  // The symbols of one pre-tokenized word, as indices into symbol(). Cached per word.
  std::vector<int32_t> encode_word(const std::string &word_bytes) const;
  const std::string &symbol(int32_t id) const { return symbols_[size_t(id)]; }
  size_t num_symbols() const { return symbols_.size(); }

 private:
  int32_t intern(const std::string &s);
  std::vector<int32_t> merge(const std::string &word_bytes) const;

  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int32_t> symbol_ids_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: (left symbol << 32) | right symbol
  std::array<int32_t, 256> byte_symbol_{};      // byte -> symbol id
  std::array<int32_t, 256> byte_symbol_end_{};  // byte + "</w>" -> symbol id

  // Per-word results, as the Python's self.cache; bounded so a long-running element fed
  // endless distinct prompts does not grow without limit.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace amused::text
