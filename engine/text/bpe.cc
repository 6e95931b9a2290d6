#include "text/bpe.h"

#include <limits>

namespace amused::text {
namespace {

constexpr size_t kMaxCachedWords = 65536;

uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

std::string utf8_of(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else {  // the byte alphabet stays below U+0800
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

const std::array<std::string, 256> &byte_symbols() {
  // GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves; the others
  // (controls, space, NBSP, soft hyphen) are moved to U+0100 onwards, in byte order.
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) t[size_t(b)] = utf8_of(printable(b) ? uint32_t(b) : next++);
    return t;
  }();
  return table;
}

BpeModel::BpeModel(const std::vector<std::pair<std::string, std::string>> &merges) {
  for (int b = 0; b < 256; ++b) {
    byte_symbol_[size_t(b)] = intern(byte_symbols()[size_t(b)]);
    byte_symbol_end_[size_t(b)] = intern(byte_symbols()[size_t(b)] + "</w>");
  }
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto &[left, right] = merges[rank];
    const int32_t l = intern(left);
    const int32_t r = intern(right);
    const int32_t result = intern(left + right);
    merges_[pair_key(l, r)] = Merge{int32_t(rank), result};
  }
}

int32_t BpeModel::intern(const std::string &s) {
  auto [it, inserted] = symbol_ids_.emplace(s, int32_t(symbols_.size()));
  if (inserted) symbols_.push_back(s);
  return it->second;
}

std::vector<int32_t> BpeModel::encode_word(const std::string &word_bytes) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(word_bytes);
    if (it != cache_.end()) return it->second;
  }
  std::vector<int32_t> result = merge(word_bytes);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kMaxCachedWords) cache_.clear();
  cache_.emplace(word_bytes, result);
  return result;
}

std::vector<int32_t> BpeModel::merge(const std::string &word_bytes) const {
  std::vector<int32_t> word;
  word.reserve(word_bytes.size());
  for (size_t i = 0; i < word_bytes.size(); ++i) {
    const auto b = size_t(uint8_t(word_bytes[i]));
    word.push_back(i + 1 == word_bytes.size() ? byte_symbol_end_[b] : byte_symbol_[b]);
  }
  std::vector<int32_t> next;
  while (word.size() > 1) {
    // The adjacent pair of lowest rank; every occurrence of it merges, left to right.
    const Merge *best = nullptr;
    uint64_t best_key = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = merges_.find(pair_key(word[i], word[i + 1]));
      if (it != merges_.end() && (best == nullptr || it->second.rank < best->rank)) {
        best = &it->second;
        best_key = it->first;
      }
    }
    if (best == nullptr) break;
    next.clear();
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && pair_key(word[i], word[i + 1]) == best_key) {
        next.push_back(best->result);
        i += 2;
      } else {
        next.push_back(word[i]);
        i += 1;
      }
    }
    word.swap(next);
  }
  return word;
}

}  // namespace amused::text
