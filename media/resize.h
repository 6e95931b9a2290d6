// Image resampling through libswscale.
#pragma once

#include "amused.h"

namespace amused::media {

// Resizes a 1- or 3-channel 8-bit image to `width` x `height`. Shrinking uses area
// averaging (no aliasing on the model's downsampled inputs); enlarging uses bicubic. When
// one axis shrinks and the other grows, area is used: aliasing is the worse artefact.
// Channels are resampled independently (planar GBR), never through YUV, so colours are
// not shifted. The same size returns a copy. Throws amused::Error on bad arguments.
Image resize(const Image &image, int width, int height);

}  // namespace amused::media
