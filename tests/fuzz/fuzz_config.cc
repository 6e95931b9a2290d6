// Fuzzes every JSON file of a checkpoint folder through the loader that reads it. The first
// byte picks the loader ('0'..'6', modulo 7), the rest is the file:
//   0 model_index.json (JsonConfig::load)      4 scheduler/scheduler_config.json
//   1 transformer/config.json (UVit2DConfig)   5 generation_config.json (GenerationDefaults)
//   2 vqvae/config.json (VQConfig)             6 model.safetensors.index.json (the shard
//   3 text_encoder/config.json (ClipTextConfig)  index, through find_weight_files)
// A config that loads must survive a round trip: from_json(to_json(c)) loads and writes the
// same JSON again.
#include <filesystem>
#include <string>

#include "amused.h"
#include "checkpoint/json_config.h"
#include "checkpoint/weights.h"
#include "fuzz_util.h"
#include "pipeline/generation_defaults.h"
#include "sampling/scheduler.h"
#include "text/clip_text_model.h"
#include "transformer/uvit2d_config.h"
#include "vq/vq_config.h"

namespace {

namespace fs = std::filesystem;
using amused::checkpoint::JsonConfig;

template <typename Config>
void round_trip(const Config &c) {
  const nlohmann::json once = c.to_json();
  const Config again = Config::from_json(JsonConfig(once, "round-trip.json"));
  FUZZ_CHECK(again.to_json() == once);
}

// Loads `name` (the fuzzed bytes) as a Config and checks its round trip.
template <typename Config>
void load_config(const char *name, const uint8_t *data, size_t size) {
  round_trip(Config::from_json(JsonConfig::load(amused::fuzz::write_scratch(name, data, size))));
}

void load(unsigned which, const uint8_t *data, size_t size) {
  switch (which) {
    case 0:
      JsonConfig::load(amused::fuzz::write_scratch("model_index.json", data, size));
      break;
    case 1:
      load_config<amused::transformer::UVit2DConfig>("config.json", data, size);
      break;
    case 2:
      load_config<amused::vq::VQConfig>("config.json", data, size);
      break;
    case 3:
      load_config<amused::text::ClipTextConfig>("config.json", data, size);
      break;
    case 4:
      load_config<amused::sampling::SchedulerConfig>("scheduler_config.json", data, size);
      break;
    case 5: {
      amused::fuzz::write_scratch("generation_config.json", data, size);
      const auto d = amused::GenerationDefaults::load(amused::fuzz::scratch_dir());
      FUZZ_CHECK(d.guidance_scale >= 0.0 && d.guidance_scale <= 100.0);
      break;
    }
    case 6: {
      const fs::path dir = amused::fuzz::scratch_dir() / "index";
      fs::create_directories(dir);
      amused::fuzz::write_scratch("index/model.safetensors.index.json", data, size);
      const auto files = amused::checkpoint::find_weight_files(dir, "model");
      for (size_t i = 0; i < files.size(); ++i)
        for (size_t j = 0; j < i; ++j) FUZZ_CHECK(files[i] != files[j]);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const unsigned which = static_cast<uint8_t>(data[0] - '0') % 7;
  try {
    load(which, data + 1, size - 1);
  } catch (const amused::Error &e) {
    amused::fuzz::rejected(e);
    // Rejected with a message naming the file and key.
  }
  return 0;
}
