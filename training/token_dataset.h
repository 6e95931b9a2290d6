// The transformer's training set: a fixed list of train-split scenes, encoded once by the
// trained VQ into token grids, with their captions already tokenised. The transformer
// stage then never runs the VQ (which would cost more than the transformer step itself).
#pragma once

#include <torch/types.h>

#include <filesystem>

#include "lab/amused_lab.h"

namespace amused::train {

struct TokenDataset {
  torch::Tensor tokens;     // [N,h,w] int16 codebook ids
  torch::Tensor input_ids;  // [N,77] int32 CLIP ids of the captions (bos, ..., eos, pad)
  uint64_t seed = 0;        // scene i is scene_seed(seed, kTokenDataset, i)
  // vq_encoder_fingerprint of the VQ that encoded the scenes; 0 in files written before it
  // was recorded.
  uint64_t vq_fingerprint = 0;
  double free_captions = 0;  // the share of captions in free phrasing (caption_phrasing.h)

  int64_t size() const { return tokens.defined() ? tokens.size(0) : 0; }
};

// Renders `count` train scenes at `image_size` and encodes them with `vq`, in batches.
// Captions: training_caption with `free_captions`.
TokenDataset build_token_dataset(vq::VQModel &vq, const text::ClipTokenizer &tokenizer,
                                 uint64_t seed, int64_t count, int image_size, bool quiet,
                                 double free_captions = 0);

// A hash of the weights that decide a scene's codes (encoder, quant_conv, codebook), so a
// token dataset can be matched to its VQ. Decoder fine-tuning leaves it unchanged.
uint64_t vq_encoder_fingerprint(vq::VQModel &vq);

void save_token_dataset(const TokenDataset &data, const std::filesystem::path &file);
// Throws amused::Error if the file is missing or malformed.
TokenDataset load_token_dataset(const std::filesystem::path &file);

}  // namespace amused::train
