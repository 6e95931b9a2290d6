// Text-encoder outputs for recently used prompts, so that a video stream (or a user who
// keeps the same prompt) encodes each prompt once rather than once per frame.
#pragma once

#include <torch/types.h>

#include <list>
#include <mutex>
#include <string>
#include <utility>

namespace amused {

struct PromptEmbedding {
  torch::Tensor hidden;  // hidden_states[-2], [1, 77, D]
  torch::Tensor pooled;  // text_embeds, [1, P]
};

class TextCache {
 public:
  explicit TextCache(size_t capacity = 8) : capacity_(capacity) {}

  bool find(const std::string &prompt, PromptEmbedding &out);
  void insert(const std::string &prompt, const PromptEmbedding &embedding);
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  std::mutex mutex_;
  size_t capacity_;
  std::list<std::pair<std::string, PromptEmbedding>> entries_;  // most recent first
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace amused
