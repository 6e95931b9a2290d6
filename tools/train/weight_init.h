// Initialisation for training from scratch, where it differs from Model::create's
// normal(0, 0.02) (the transformers/diffusers default, kept for the text encoder and the
// U-ViT): convolutions of the VQ get PyTorch's default fan-in scaled init, since 0.02 is far
// too small for 3x3 convolutions with few input channels and slows early training.
#pragma once

#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>

#include <cstdint>

#include "engine/transformer/uvit2d.h"

namespace amused::train {

// UVit2D has no position embedding: a token tells its column only from the zero padding of
// the depthwise convolutions, and from the normal(0, 0.02) start that signal fades within a
// few columns of the edges. Nothing in the data asks for columns before the caption's
// position word is bound to them, and the word cannot be bound without columns, so the model
// never learns "at the left". This seeds three channels of the down block's conv stream:
// channel 2 a constant (one component of the token embedding is the same for every code),
// channels 0 and 1 clipped ramps that rise over the first / last 8 columns
// (each conv block adds its left / right neighbour's value minus its own plus a step), so
// together they tell every column apart. The weights stay ordinary parameters of the same
// architecture (diffusers loads the model unchanged) and training is free to change them.
void seed_position_channels(transformer::UVit2DModel &uvit);

// Every nn::Conv2d of `root`: weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias zero.
void init_convolutions_fan_in(torch::nn::Module &root, uint64_t seed);

// Stores every 4-d parameter of `root` in `format`. oneDNN's convolutions run faster on
// channels-last tensors (measured here: 12% per VQ training step, 1.6x for encoding); the
// checkpoint writers make tensors contiguous again.
void set_conv_memory_format(torch::nn::Module &root, c10::MemoryFormat format);

}  // namespace amused::train
