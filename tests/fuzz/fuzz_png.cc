// Fuzzes the PNG reader (media::read_image and media::read_mask, libpng's simplified API
// underneath) on arbitrary file contents.
#include "amused.h"
#include "fuzz_util.h"
#include "image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto path = amused::fuzz::write_scratch("input.png", data, size);
  for (bool mask : {false, true}) {
    try {
      const amused::Image image =
          mask ? amused::media::read_mask(path) : amused::media::read_image(path);
      FUZZ_CHECK(image.width > 0 && image.height > 0);
      FUZZ_CHECK(image.channels == (mask ? 1 : 3));
      FUZZ_CHECK(image.pixels.size() ==
                 static_cast<size_t>(image.width) * image.height * image.channels);
    } catch (const amused::Error &e) {
      amused::fuzz::rejected(e);
      // Not a PNG, truncated, corrupt or too large: refused with a message.
    }
  }
  return 0;
}
