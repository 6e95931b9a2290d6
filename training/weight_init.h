// Initialisation for training from scratch, where it differs from lab::create_model's
// normal(0, 0.02) (the transformers/diffusers default, kept for the text encoder and the
// U-ViT): convolutions of the VQ get PyTorch's default fan-in scaled init, since 0.02 is far
// too small for 3x3 convolutions with few input channels and slows early training.
#pragma once

#include <ATen/TensorIndexing.h>
#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

#include "lab/amused_lab.h"

namespace amused::train {

// Entries of parameters that training keeps at the values they had when frozen: their
// gradients are zeroed before the optimizer sees them (so they take no share of the gradient
// clipping nor any Adam moments) and their values are written back after every step (weight
// decay moves every entry of a matrix).
class PinnedWeights {
 public:
  // Marks param[index]; the values are read by freeze().
  void pin(const torch::Tensor &param, at::ArrayRef<at::indexing::TensorIndex> index);
  void freeze();
  void zero_grads() const;
  void restore() const;
  bool empty() const { return entries_.empty(); }
  int64_t count() const;

 private:
  struct Entry {
    torch::Tensor param, mask;
    torch::Tensor value;  // the pinned entries only, in the mask's order
  };
  std::vector<Entry> entries_;
};

// UVit2D has no position embedding: a token tells its column only from the zero padding of
// the depthwise convolutions, and from the normal(0, 0.02) start that signal fades within a
// few columns of the edges. Nothing in the data asks for columns before the caption's
// position word is bound to them, and the word cannot be bound without columns, so the model
// never learns "at the left". This seeds three channels of the down block's conv stream:
// channel 2 a constant (one component of the token embedding is the same for every code),
// channels 0 and 1 clipped ramps that rise over the first / last 8 columns
// (each conv block adds its left / right neighbour's value minus its own plus a step), so
// together they tell every column apart. Channel 2 dominates every norm the path passes, so
// the ramps keep their steps as training grows the content channels. The weights stay ordinary
// parameters of the same architecture (diffusers loads the model unchanged). Training is free to
// change them unless `pinned` is given: it then receives every entry the ramp path needs (the
// path's weights, the norms' gains on its channels, the zeros that keep the adaptive norm, the
// attention and the GlobalResponseNorm off it), so that the optimizer can be kept from washing it
// out.
void seed_position_channels(transformer::UVit2DModel &uvit, PinnedWeights *pinned = nullptr);

// Every nn::Conv2d of `root`: weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias zero.
void init_convolutions_fan_in(torch::nn::Module &root, uint64_t seed);

// Stores every 4-d parameter of `root` in `format`. oneDNN's convolutions run faster on
// channels-last tensors (measured here: 12% per VQ training step, 1.6x for encoding); the
// checkpoint writers make tensors contiguous again.
void set_conv_memory_format(torch::nn::Module &root, c10::MemoryFormat format);

}  // namespace amused::train
