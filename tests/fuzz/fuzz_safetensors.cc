// Fuzzes the safetensors reader (checkpoint::SafetensorsFile): header length, JSON header,
// dtypes, shapes and byte ranges, then every tensor's view, read to its last byte.
//
// Input: a whole .safetensors file; or, when it starts with '{', a header and a data section
// separated by the first NUL byte, to which the 8-byte length is prepended (so mutations of
// the JSON keep a consistent length and reach the entry checks).
#include <torch/types.h>

#include <cstring>
#include <string>
#include <vector>

#include "amused.h"
#include "checkpoint/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using amused::checkpoint::SafetensorsFile;
  std::vector<uint8_t> file;
  if (size > 0 && data[0] == '{') {
    const uint8_t *nul = static_cast<const uint8_t *>(std::memchr(data, 0, size));
    const uint64_t header_len = nul ? static_cast<uint64_t>(nul - data) : size;
    file.resize(8);
    std::memcpy(file.data(), &header_len, 8);
    file.insert(file.end(), data, data + header_len);
    if (nul) file.insert(file.end(), nul + 1, data + size);
  } else {
    file.assign(data, data + size);
  }
  const auto path = amused::fuzz::write_scratch("model.safetensors", file.data(), file.size());
  try {
    SafetensorsFile st(path);
    uint64_t header_len = 0;
    std::memcpy(&header_len, file.data(), 8);
    const size_t data_size = file.size() - 8 - header_len;
    for (const auto &[key, entry] : st.entries()) {
      FUZZ_CHECK(entry.begin <= entry.end && entry.end <= data_size);
      torch::Tensor t = st.view(key);
      FUZZ_CHECK(t.is_contiguous());
      FUZZ_CHECK(static_cast<size_t>(t.numel()) * t.element_size() == entry.end - entry.begin);
      // The view shows exactly the entry's bytes of the file (read to the last one).
      const size_t n = entry.end - entry.begin;
      if (n > 0)
        FUZZ_CHECK(std::memcmp(t.data_ptr(), file.data() + 8 + header_len + entry.begin, n) == 0);
      st.forget(key);
    }
  } catch (const amused::Error &e) {
    amused::fuzz::rejected(e);
    // Rejected with a message: the expected outcome for a broken file.
  }
  return 0;
}
