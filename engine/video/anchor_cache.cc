#include "video/anchor_cache.h"

#include <torch/torch.h>

namespace amused::video {

namespace {

// Keys/values recorded with one guidance layout used under another: the conditional half
// (second) stands for the frame when guidance is switched off.
nn::KeyValue match_batch(const nn::KeyValue &kv, int64_t batch) {
  const int64_t have = kv.key.size(0);
  if (have == batch) return kv;
  if (batch == 1) return {kv.key.narrow(0, have - 1, 1), kv.value.narrow(0, have - 1, 1)};
  return {kv.key.expand({batch, -1, -1, -1}), kv.value.expand({batch, -1, -1, -1})};
}

}  // namespace

LayerKeyValues concatenate_tokens(std::vector<LayerKeyValues> windows) {
  if (windows.empty()) return {};
  if (windows.size() == 1) return std::move(windows.front());
  LayerKeyValues joined(windows.front().size());
  for (size_t layer = 0; layer < joined.size(); ++layer) {
    std::vector<torch::Tensor> keys, values;
    for (const auto &w : windows) {
      keys.push_back(w[layer].key);
      values.push_back(w[layer].value);
    }
    joined[layer] = {torch::cat(keys, 2), torch::cat(values, 2)};
  }
  return joined;
}

void AnchorCache::clear() { *this = AnchorCache(); }

std::vector<LayerKeyValues> AnchorCache::extras(CrossFrameAttention mode, int64_t batch) const {
  std::vector<LayerKeyValues> extra(anchor_.size());
  for (size_t layer = 0; layer < anchor_.size(); ++layer) {
    extra[layer].push_back(match_batch(anchor_[layer], batch));
    if (mode == CrossFrameAttention::kFirstAndPrevious && !previous_.empty() &&
        previous_[layer].key.data_ptr() != anchor_[layer].key.data_ptr())
      extra[layer].push_back(match_batch(previous_[layer], batch));
  }
  return extra;
}

void AnchorCache::remember(LayerKeyValues recorded) {
  if (recorded.empty()) return;
  if (anchor_.empty()) anchor_ = recorded;
  previous_ = std::move(recorded);
}

}  // namespace amused::video
