// CLIP byte-level BPE tokenizer, reproducing transformers v4.38.2 `CLIPTokenizer` (the slow
// Python one) with ftfy installed, i.e. what diffusers' AmusedPipeline feeds its text
// encoder:
//
//   split out literal special tokens ("<|startoftext|>", "<|endoftext|>")
//   -> ftfy.fix_text -> collapse whitespace, strip -> lower-case
//   -> regex split (contractions, letter runs, single digits, other-symbol runs)
//   -> UTF-8 bytes mapped to printable characters -> BPE by merge rank -> vocabulary ids
//
// Usage:
//
//   auto tok = amused::text::ClipTokenizer::from_folder("amused-256/tokenizer");
//   std::vector<int64_t> ids = tok.encode_padded("a photo of a cat");  // 77 ids
//
// Thread safety: a ClipTokenizer is immutable after loading and may be used from several
// threads at once (the per-word BPE cache is guarded by a mutex). Copies share the tables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace amused::text {

class ClipTokenizer {
 public:
  // Reads vocab.json and merges.txt, plus tokenizer_config.json and special_tokens_map.json
  // when present (model_max_length, bos/eos/pad/unk tokens, added tokens); without them:
  // 77, "<|startoftext|>", "<|endoftext|>" for eos, pad and unk.
  // Throws amused::Error naming the file and the reason (missing, bad JSON, malformed merge
  // line with its number, special token absent from the vocabulary, ...).
  static ClipTokenizer from_folder(const std::filesystem::path &tokenizer_dir);

  // tokenizer.tokenize(text): the BPE strings ("photo</w>", ...), no special tokens added.
  std::vector<std::string> bpe_tokens(const std::string &text) const;
  // tokenizer(text).input_ids: bos, the token ids, eos; no truncation.
  std::vector<int64_t> encode(const std::string &text) const;
  // tokenizer(text, padding="max_length", max_length=max_length(), truncation=True)
  // .input_ids: bos, at most max_length()-2 ids, eos, then pad ids up to max_length().
  std::vector<int64_t> encode_padded(const std::string &text) const;

  int64_t bos_id() const;
  int64_t eos_id() const;
  int64_t pad_id() const;
  int max_length() const;
  size_t vocab_size() const;

  struct Impl;

 private:
  explicit ClipTokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace amused::text
