// Fuzzes the CLIP tokenizer on arbitrary bytes (not necessarily UTF-8): special-token
// splitting, ftfy's text repair (mojibake, HTML entities, legacy code pages), whitespace
// cleaning, lower-casing, the regex split and BPE, with the real CLIP vocabulary.
#include <string>
#include <vector>

#include "amused.h"
#include "fuzz_util.h"
#include "text/clip_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const auto tokenizer = amused::text::ClipTokenizer::from_folder(
      std::string(AMUSED_FUZZ_DATA_DIR) + "/clip-tokenizer");
  const std::string text(reinterpret_cast<const char *>(data), size);
  try {
    const std::vector<int64_t> ids = tokenizer.encode_padded(text);
    FUZZ_CHECK(ids.size() == static_cast<size_t>(tokenizer.max_length()));
    FUZZ_CHECK(ids.front() == tokenizer.bos_id());
    bool eos = false;
    for (int64_t id : ids) {
      // Every id indexes the text encoder's embedding table.
      FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < tokenizer.vocab_size());
      eos = eos || id == tokenizer.eos_id();
    }
    FUZZ_CHECK(eos);
  } catch (const amused::Error &e) {
    amused::fuzz::rejected(e);
    // Text the tokenizer refuses with a message.
  }
  return 0;
}
