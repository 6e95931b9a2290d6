// Loading checkpoints that are broken in every way a download, a conversion script or a
// hand edit can break them: load_model must throw amused::Error naming the file (and the key)
// and the reason, never crash or load garbage. And the layouts that must load: fp16 variant
// files, the engine's own saved models (fp32 and fp16), sharded weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <optional>

#include "amused.h"
#include "checkpoint/safetensors.h"
#include "checkpoint_fixture.h"
#include "lab/amused_lab.h"

namespace amused {
namespace {

namespace fs = std::filesystem;
using testing::copy_checkpoint;
using testing::RawSafetensors;
using testing::read_json;
using testing::write_json;

const fs::path kData = AMUSED_TESTS_DATA_DIR;

std::string load_error(const fs::path &dir, const LoadOptions &options = {}) {
  try {
    load_model(dir, options);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

// Every tensor of a safetensors file, copied out of the mapping.
std::map<std::string, torch::Tensor> read_tensors(const fs::path &file) {
  checkpoint::SafetensorsFile f(file);
  std::map<std::string, torch::Tensor> out;
  for (const auto &[key, entry] : f.entries()) out[key] = f.view(key).clone();
  return out;
}

std::vector<std::vector<int64_t>> tokens_of(const Model &model) {
  GenerateParams p;
  p.prompt = "a photo of a cat";
  p.steps = 4;
  std::vector<std::vector<int64_t>> out;
  for (const auto &g : text_to_image(model, p).tokens) out.push_back(g.ids);
  return out;
}

class BrokenCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    copy_checkpoint(kData / "amused-tiny", dir_);
  }

  // Runs load_model and checks that the Error message contains every part.
  void expect_error(const std::vector<std::string> &parts, const LoadOptions &options = {}) {
    const std::string message = load_error(dir_, options);
    ASSERT_FALSE(message.empty()) << "the broken checkpoint loaded";
    for (const auto &p : parts)
      EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
  }

  // Rewrites the transformer's weights after `edit` changed them.
  void edit_weights(const std::function<void(std::map<std::string, torch::Tensor> &)> &edit) {
    auto tensors = read_tensors(weights_);
    edit(tensors);
    checkpoint::write_safetensors(weights_, tensors);
  }

  void edit_config(const fs::path &file, const std::function<void(nlohmann::json &)> &edit) {
    auto j = read_json(file);
    edit(j);
    write_json(file, j);
  }

  testing::ScratchDir scratch_;
  fs::path dir_ = scratch_.path() / "model";
  fs::path weights_ = dir_ / "transformer" / "diffusion_pytorch_model.safetensors";
  const std::string weights_name_ = "transformer/diffusion_pytorch_model.safetensors";
};

TEST_F(BrokenCheckpoint, IntactCopyLoads) { EXPECT_EQ(load_error(dir_), ""); }

TEST_F(BrokenCheckpoint, TruncatedWeights) {
  fs::resize_file(weights_, fs::file_size(weights_) * 2 / 3);
  expect_error({weights_name_, "outside", "truncated"});
}

TEST_F(BrokenCheckpoint, TruncatedInsideTheHeader) {
  fs::resize_file(weights_, 100);
  expect_error({weights_name_, "header length", "exceeds file size 100"});
}

TEST_F(BrokenCheckpoint, TooShortForAHeaderLength) {
  fs::resize_file(weights_, 5);
  expect_error({weights_name_, "too short"});
}

TEST_F(BrokenCheckpoint, EmptyWeightFile) {
  fs::resize_file(weights_, 0);
  expect_error({weights_name_, "too short"});
}

TEST_F(BrokenCheckpoint, HeaderLengthLargerThanTheFile) {
  std::string bytes = testing::read_bytes(weights_);
  const uint64_t len = bytes.size();  // 8 more than the file can hold after the length
  std::memcpy(bytes.data(), &len, 8);
  testing::write_bytes(weights_, bytes);
  expect_error({weights_name_, "header length " + std::to_string(len), "exceeds file size"});
}

TEST_F(BrokenCheckpoint, HeaderNotJson) {
  auto raw = RawSafetensors::read(weights_);
  RawSafetensors::write_text(weights_, "{\"broken\": [1, 2", raw.data);
  expect_error({weights_name_, "header is not valid JSON"});
}

TEST_F(BrokenCheckpoint, HeaderNotAnObject) {
  auto raw = RawSafetensors::read(weights_);
  RawSafetensors::write_text(weights_, "[1, 2, 3]", raw.data);
  expect_error({weights_name_, "not a JSON object"});
}

TEST_F(BrokenCheckpoint, DataOffsetsOutsideTheData) {
  auto raw = RawSafetensors::read(weights_);
  const std::string key = "encoder_proj.weight";
  auto &offsets = raw.header[key]["data_offsets"];
  const size_t bytes = offsets[1].get<size_t>() - offsets[0].get<size_t>();
  offsets = {raw.data.size() - bytes / 2, raw.data.size() - bytes / 2 + bytes};
  raw.write(weights_);
  expect_error({weights_name_, "'" + key + "'", "data_offsets", "outside"});
}

TEST_F(BrokenCheckpoint, DataOffsetsReversed) {
  auto raw = RawSafetensors::read(weights_);
  const std::string key = "encoder_proj.weight";
  auto &offsets = raw.header[key]["data_offsets"];
  offsets = {offsets[1], offsets[0]};
  raw.write(weights_);
  expect_error({weights_name_, "'" + key + "'", "data_offsets"});
}

TEST_F(BrokenCheckpoint, DataOffsetsOverlap) {
  auto raw = RawSafetensors::read(weights_);
  // Two tensors of the same byte size, the second pointed at the first one's bytes.
  std::map<size_t, std::string> by_size;
  std::string first, second;
  for (const auto &[key, value] : raw.header.items()) {
    if (key == "__metadata__") continue;
    const size_t bytes =
        value["data_offsets"][1].get<size_t>() - value["data_offsets"][0].get<size_t>();
    if (by_size.count(bytes)) {
      first = by_size[bytes];
      second = key;
      break;
    }
    by_size[bytes] = key;
  }
  ASSERT_FALSE(second.empty());
  raw.header[second]["data_offsets"] = raw.header[first]["data_offsets"];
  raw.write(weights_);
  expect_error({weights_name_, "overlap"});
}

TEST_F(BrokenCheckpoint, ByteCountDisagreesWithShape) {
  auto raw = RawSafetensors::read(weights_);
  raw.header["encoder_proj.weight"]["shape"] = {3, 3};
  raw.write(weights_);
  expect_error({weights_name_, "'encoder_proj.weight'", "bytes for a shape that needs 36"});
}

TEST_F(BrokenCheckpoint, UnknownDtype) {
  auto raw = RawSafetensors::read(weights_);
  raw.header["encoder_proj.weight"]["dtype"] = "F8_E4M3";
  raw.write(weights_);
  expect_error({weights_name_, "'encoder_proj.weight'", "unsupported dtype 'F8_E4M3'"});
}

TEST_F(BrokenCheckpoint, WrongShape) {
  edit_weights(
      [](auto &t) { t["encoder_proj.weight"] = t["encoder_proj.weight"].t().contiguous(); });
  // amused-tiny: encoder_proj maps encoder_hidden_size 16 to hidden_size 32.
  expect_error({weights_name_, "'encoder_proj.weight' has shape [16, 32], model expects [32, 16]"});
}

TEST_F(BrokenCheckpoint, MissingTensor) {
  edit_weights([](auto &t) { t.erase("mlm_layer.conv1.weight"); });
  expect_error({weights_name_, "missing tensor 'mlm_layer.conv1.weight'"});
}

TEST_F(BrokenCheckpoint, UnexpectedTensor) {
  edit_weights([](auto &t) { t["mlm_layer.extra.weight"] = torch::zeros({4}); });
  expect_error({weights_name_, "unexpected tensor 'mlm_layer.extra.weight'"});
}

TEST_F(BrokenCheckpoint, IntegerTensorForAFloatParameter) {
  edit_weights(
      [](auto &t) { t["encoder_proj.weight"] = t["encoder_proj.weight"].to(torch::kInt32); });
  expect_error({weights_name_, "'encoder_proj.weight'", "I32", "floating-point"});
}

TEST_F(BrokenCheckpoint, EveryProblemIsReported) {
  edit_weights([](auto &t) {
    t.erase("mlm_layer.conv1.weight");
    t["mlm_layer.extra.weight"] = torch::zeros({4});
  });
  expect_error({"2 problem(s)", "mlm_layer.conv1.weight", "mlm_layer.extra.weight"});
}

TEST_F(BrokenCheckpoint, NoWeightFile) {
  fs::remove(weights_);
  expect_error({"transformer", "no weights found", "diffusion_pytorch_model.safetensors"});
}

TEST_F(BrokenCheckpoint, PickleWeightsOnly) {
  fs::rename(weights_, dir_ / "transformer" / "diffusion_pytorch_model.bin");
  expect_error({"diffusion_pytorch_model.bin", "not supported"});
}

TEST_F(BrokenCheckpoint, ConfigMissingRequiredField) {
  edit_config(dir_ / "transformer" / "config.json", [](auto &j) { j.erase("hidden_size"); });
  expect_error({"transformer/config.json", "'hidden_size'", "missing"});
}

TEST_F(BrokenCheckpoint, ConfigFieldOfTheWrongType) {
  edit_config(dir_ / "transformer" / "config.json", [](auto &j) { j["hidden_size"] = "big"; });
  expect_error({"transformer/config.json", "'hidden_size'", "expected an integer", "\"big\""});
}

TEST_F(BrokenCheckpoint, ConfigFractionalInteger) {
  edit_config(dir_ / "text_encoder" / "config.json", [](auto &j) { j["num_hidden_layers"] = 2.5; });
  expect_error({"text_encoder/config.json", "'num_hidden_layers'", "expected an integer"});
}

TEST_F(BrokenCheckpoint, ConfigNotJson) {
  testing::write_bytes(dir_ / "vqvae" / "config.json", "{\"act_fn\": ");
  expect_error({"vqvae/config.json", "invalid JSON"});
}

TEST_F(BrokenCheckpoint, ConfigMissing) {
  fs::remove(dir_ / "scheduler" / "scheduler_config.json");
  expect_error({"scheduler/scheduler_config.json", "cannot open"});
}

// generation_config.json (the project's own file beside diffusers' configs) is optional;
// when present it is checked like any config.
TEST_F(BrokenCheckpoint, GenerationConfigNotJson) {
  testing::write_bytes(dir_ / "generation_config.json", "{\"guidance_scale\": ");
  expect_error({"generation_config.json", "invalid JSON"});
}

TEST_F(BrokenCheckpoint, GenerationConfigGuidanceOutOfRange) {
  write_json(dir_ / "generation_config.json", {{"guidance_scale", 250}});
  expect_error({"generation_config.json", "'guidance_scale'", "between 0 and 100", "250"});
}

TEST_F(BrokenCheckpoint, GenerationConfigGuidanceNotANumber) {
  write_json(dir_ / "generation_config.json", {{"guidance_scale", "high"}});
  expect_error({"generation_config.json", "'guidance_scale'", "\"high\""});
}

TEST_F(BrokenCheckpoint, ModelIndexMissing) {
  fs::remove(dir_ / "model_index.json");
  expect_error({dir_.string(), "model_index.json"});
}

TEST_F(BrokenCheckpoint, ComponentFolderMissing) {
  fs::remove_all(dir_ / "vqvae");
  expect_error({dir_.string(), "'vqvae'", "missing"});
}

TEST_F(BrokenCheckpoint, ModelFolderMissing) {
  fs::remove_all(dir_);
  expect_error({dir_.string(), "does not exist"});
}

TEST_F(BrokenCheckpoint, TextHiddenSizeDisagreesWithTransformer) {
  edit_config(dir_ / "text_encoder" / "config.json", [](auto &j) { j["hidden_size"] = 8; });
  expect_error({"text_encoder hidden_size 8 != transformer encoder_hidden_size 16"});
}

TEST_F(BrokenCheckpoint, CodebookSizesDisagree) {
  edit_config(dir_ / "vqvae" / "config.json", [](auto &j) { j["num_vq_embeddings"] = 32; });
  expect_error({"vqvae num_vq_embeddings 32 != transformer codebook_size 64"});
}

TEST_F(BrokenCheckpoint, MaskTokenInsideTheCodebook) {
  edit_config(dir_ / "scheduler" / "scheduler_config.json",
              [](auto &j) { j["mask_token_id"] = 10; });
  expect_error({"mask_token_id 10", "[64, 72)"});
}

TEST_F(BrokenCheckpoint, TokenizerVocabMissing) {
  fs::remove(dir_ / "tokenizer" / "vocab.json");
  expect_error({"tokenizer/vocab.json"});
}

TEST_F(BrokenCheckpoint, TokenizerMergesMissing) {
  fs::remove(dir_ / "tokenizer" / "merges.txt");
  expect_error({"tokenizer/merges.txt"});
}

TEST_F(BrokenCheckpoint, ShardMissing) {
  fs::remove(weights_);
  write_json(dir_ / "transformer" / "diffusion_pytorch_model.safetensors.index.json",
             {{"metadata", {{"total_size", 0}}},
              {"weight_map", {{"encoder_proj.weight", "part-1.safetensors"}}}});
  expect_error({"part-1.safetensors", "cannot open"});
}

TEST_F(BrokenCheckpoint, CudaUnavailable) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this libtorch has CUDA";
  expect_error({"cuda", "not available", "CUDA"}, LoadOptions{"cuda"});
}

// --- Layouts that must load -------------------------------------------------------------

TEST(CheckpointLayouts, Fp16VariantLoadsAndComputesInFloat32) {
  const fs::path dir = kData / "variants" / "variant-fp16";
  auto model = std::const_pointer_cast<Model>(load_model(dir));
  struct Component {
    torch::nn::Module &module;
    fs::path file;
  };
  const Component components[] = {
      {*model->text_encoder(), dir / "text_encoder" / "model.fp16.safetensors"},
      {*model->transformer(), dir / "transformer" / "diffusion_pytorch_model.fp16.safetensors"},
      {*model->vqvae(), dir / "vqvae" / "diffusion_pytorch_model.fp16.safetensors"},
  };
  for (const auto &c : components) {
    const auto stored = read_tensors(c.file);
    int64_t checked = 0;
    for (const auto &p : c.module.named_parameters(true)) {
      SCOPED_TRACE(c.file.string() + " " + p.key());
      EXPECT_EQ(p.value().scalar_type(), torch::kFloat32);
      ASSERT_TRUE(stored.count(p.key()));
      EXPECT_EQ(stored.at(p.key()).scalar_type(), torch::kFloat16);
      // The upcast is exact: every fp16 value is a float32 value.
      EXPECT_TRUE(torch::equal(p.value(), stored.at(p.key()).to(torch::kFloat32)));
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }
  GenerateParams p;
  p.prompt = "x";
  p.steps = 2;
  const Result r = text_to_image(*model, p);
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].width, 48);
}

// An unset guidance scale is the model's: diffusers' 10 without generation_config.json, the
// file's value with one; an explicit scale still wins.
TEST(GenerationDefaults, UnsetGuidanceTakesTheModelsScale) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "model";
  copy_checkpoint(kData / "amused-tiny", dir);
  auto tokens = [](const Model &model, std::optional<double> guidance) {
    GenerateParams p;
    p.prompt = "a photo of a cat";
    p.steps = 4;
    p.guidance_scale = guidance;
    return text_to_image(model, p).tokens[0].ids;
  };
  auto plain = load_model(dir);
  EXPECT_EQ(describe(*plain).default_guidance_scale, 10.0);
  EXPECT_EQ(tokens(*plain, std::nullopt), tokens(*plain, 10.0));

  write_json(dir / "generation_config.json", {{"guidance_scale", 2.5}});
  auto guided = load_model(dir);
  EXPECT_EQ(describe(*guided).default_guidance_scale, 2.5);
  EXPECT_EQ(tokens(*guided, std::nullopt), tokens(*guided, 2.5));
  EXPECT_NE(tokens(*guided, std::nullopt), tokens(*guided, 10.0));
}

TEST(CheckpointLayouts, SavedModelRoundTrips) {
  testing::ScratchDir scratch;
  auto original = load_model(kData / "amused-tiny");
  lab::save_model(*original, scratch.path() / "saved");
  EXPECT_TRUE(fs::exists(scratch.path() / "saved" / "tokenizer" / "vocab.json"));
  auto loaded = load_model(scratch.path() / "saved");
  EXPECT_EQ(describe(*loaded).parameters, describe(*original).parameters);
  const auto a = original->transformer()->named_parameters(true);
  const auto b = loaded->transformer()->named_parameters(true);
  ASSERT_EQ(a.size(), b.size());
  for (const auto &p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  EXPECT_EQ(tokens_of(*loaded), tokens_of(*original));
  EXPECT_EQ(describe(*loaded).default_guidance_scale, describe(*original).default_guidance_scale);
}

TEST(CheckpointLayouts, SavedFp16ModelLoads) {
  testing::ScratchDir scratch;
  auto original = load_model(kData / "amused-tiny");
  lab::save_model(*original, scratch.path() / "saved", /*fp16=*/true);
  EXPECT_TRUE(fs::exists(scratch.path() / "saved" / "transformer" /
                         "diffusion_pytorch_model.fp16.safetensors"));
  EXPECT_FALSE(
      fs::exists(scratch.path() / "saved" / "transformer" / "diffusion_pytorch_model.safetensors"));
  auto loaded = load_model(scratch.path() / "saved");
  const auto b = loaded->transformer()->named_parameters(true);
  for (const auto &p : original->transformer()->named_parameters(true))
    EXPECT_TRUE(torch::equal(p.value().to(torch::kFloat16).to(torch::kFloat32), b[p.key()]))
        << p.key();
  EXPECT_EQ(tokens_of(*loaded).size(), 1u);
}

TEST(CheckpointLayouts, ShardedWeightsLoad) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "model";
  copy_checkpoint(kData / "amused-tiny", dir);
  const fs::path component = dir / "transformer";
  const auto tensors = read_tensors(component / "diffusion_pytorch_model.safetensors");
  std::map<std::string, torch::Tensor> shards[2];
  nlohmann::json weight_map = nlohmann::json::object();
  size_t i = 0, total = 0;
  for (const auto &[key, t] : tensors) {
    const int shard = i++ < tensors.size() / 2 ? 0 : 1;
    shards[shard][key] = t;
    const std::string name =
        "diffusion_pytorch_model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors";
    weight_map[key] = name;
    total += t.numel() * t.element_size();
  }
  for (int s = 0; s < 2; ++s)
    checkpoint::write_safetensors(component / ("diffusion_pytorch_model-0000" +
                                               std::to_string(s + 1) + "-of-00002.safetensors"),
                                  shards[s]);
  fs::remove(component / "diffusion_pytorch_model.safetensors");
  write_json(component / "diffusion_pytorch_model.safetensors.index.json",
             {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}});

  auto sharded = load_model(dir);
  auto original = load_model(kData / "amused-tiny");
  EXPECT_EQ(tokens_of(*sharded), tokens_of(*original));
}

}  // namespace
}  // namespace amused
