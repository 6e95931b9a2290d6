// What later frames of a stream take from earlier ones: the anchor frame's self-attention
// keys/values (cross-frame attention), the previous frame's, and the anchor's decoder
// normalisation, so that kept tokens decode to the same pixels in every frame.
#pragma once

#include <torch/types.h>

#include <vector>

#include "amused.h"
#include "nn/attention.h"
#include "nn/layers.h"

namespace amused::video {

using LayerKeyValues = std::vector<nn::KeyValue>;  // one per transformer layer

// The keys/values of one frame computed window by window, as one set: each layer's
// windows joined along the token axis (attention does not depend on the tokens' order).
LayerKeyValues concatenate_tokens(std::vector<LayerKeyValues> windows);

class AnchorCache {
 public:
  void clear();
  bool has_anchor() const { return !anchor_.empty(); }

  // The extra keys/values each layer attends to for `mode`, matched to a transformer
  // batch of `batch` (1, or 2 with classifier-free guidance).
  std::vector<LayerKeyValues> extras(CrossFrameAttention mode, int64_t batch) const;
  // The keys/values a frame just recorded: the first becomes the anchor; each is the
  // previous frame's for the next one.
  void remember(LayerKeyValues recorded);

  nn::NormStats &decoder_norms() { return norms_; }

 private:
  LayerKeyValues anchor_, previous_;
  nn::NormStats norms_;
};

}  // namespace amused::video
