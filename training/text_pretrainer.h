// Stage "transformer", first part: pretrains the CLIP text encoder alone to tell captions
// apart by what they describe, before the U-ViT learns from it.
//
// aMUSEd's text encoder comes pretrained (CLIP) and stays frozen. Ours starts from random
// weights, and trained jointly with the U-ViT from scratch it separates only the words that
// change most of the image: at the end of a 55-minute run swapping "left" for "right" moved
// its pooled output by less than 0.001 of its size, "box" for "ball" by 0.002, so the U-ViT has
// nothing to bind them to, and it cannot ask for them before it can tell them apart. Here one
// linear head per scene attribute reads the pooled, projected embedding (the U-ViT's
// `pooled_text_emb`) and a cross-entropy per attribute trains the encoder on captions of training
// combinations, so that every attribute value has its own direction before the U-ViT sees it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lab/amused_lab.h"
#include "training/schedule.h"

namespace amused::train {

struct TextPretrainOptions {
  uint64_t seed = 0;
  Budget budget;
  int batch = 128;
  LrSchedule lr{1e-3, 50, 0.05};
  bool quiet = false;
  // Above 0, each combination also trains on three captions in free phrasing
  // (caption_phrasing.h), the attributes they leave out unlabelled.
  double free_captions = 0;
};

// Accuracy of the heads on one attribute, over every held-out combination's caption.
struct AttributeAccuracy {
  std::string attribute;
  double accuracy = 0.0;
};

struct TextPretrainResult {
  StageResult stage;
  std::vector<AttributeAccuracy> heldout;
};

TextPretrainResult pretrain_text_encoder(text::ClipTextModelWithProjection &text_encoder,
                                         const text::ClipTokenizer &tokenizer,
                                         const TextPretrainOptions &options);

}  // namespace amused::train
