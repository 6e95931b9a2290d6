// PNG files in and out of amused::Image, through libpng's simplified API.
//
// Reading accepts every PNG colour type and bit depth (grayscale, palette, 1/2/4/16-bit,
// alpha, tRNS, interlaced) and converts to 8-bit sRGB. 16-bit files without gamma
// information are taken to be sRGB-encoded, as image editors and PIL write them.
#pragma once

#include <filesystem>

#include "amused.h"

namespace amused::media {

// Reads a PNG as a 3-channel RGB8 image. An alpha channel is dropped without compositing,
// like PIL's `Image.convert("RGB")`, which is what the diffusers pipelines apply to their
// inputs. Throws amused::Error naming the path and the reason (missing, not a PNG,
// truncated or corrupt).
Image read_image(const std::filesystem::path &path);

// Reads a PNG as a 1-channel mask (255 = regenerate, 0 = keep), by the engine's rule
// (amused::mask_from_rgba): the alpha channel of an image whose colour is the same
// everywhere, else the luminance, as PIL's `convert("L")`, so masks match diffusers.
Image read_mask(const std::filesystem::path &path);

// Writes a 1-channel (grayscale) or 3-channel (RGB) 8-bit image as a PNG. Throws
// amused::Error for an inconsistent image or an unwritable path.
void write_png(const std::filesystem::path &path, const Image &image);

}  // namespace amused::media
