#include "pipeline/text_cache.h"

namespace amused {

bool TextCache::find(const std::string &prompt, PromptEmbedding &out) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == prompt) {
      entries_.splice(entries_.begin(), entries_, it);
      out = entries_.front().second;
      ++hits_;
      return true;
    }
  }
  ++misses_;
  return false;
}

void TextCache::insert(const std::string &prompt, const PromptEmbedding &embedding) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.emplace_front(prompt, embedding);
  while (entries_.size() > capacity_) entries_.pop_back();
}

}  // namespace amused
