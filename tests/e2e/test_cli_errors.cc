// The `amused` command line itself: --help, `amused info`, and that every bad argument
// ends the command with the right exit status (2 = bad command line, 1 = runtime failure)
// and exactly one line on stderr naming the offending flag or file and the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_run.h"
#include "media/image_io.h"

namespace amused::e2e {
namespace {

namespace fs = std::filesystem;

const fs::path kTiny = fs::path(AMUSED_TESTS_DATA_DIR) / "amused-tiny";

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cli_path().empty()) << "AMUSED_CLI is not set";
    Image img{32, 32, 3, std::vector<uint8_t>(32 * 32 * 3, 128)};
    media::write_png(tmp_ / "init.png", img);
    Image mask{32, 32, 1, std::vector<uint8_t>(32 * 32, 0)};
    std::fill(mask.pixels.begin(), mask.pixels.begin() + 32 * 16, 255);
    media::write_png(tmp_ / "mask.png", mask);
    std::ofstream(tmp_ / "not-a-png.png") << "hello\n";
  }

  // `amused image` on the tiny model, with `extra` flags added (or replacing defaults).
  std::vector<std::string> image_args(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"image",   "--model", kTiny.string(), "--prompt",      "a cat",
                                     "--steps", "2",       "--output",     tmp_ / "out.png"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs and checks: exit status, exactly one line on stderr, and that line names each of
  // `names`.
  void expect_failure(const std::vector<std::string> &args, int status,
                      const std::vector<std::string> &names) {
    SCOPED_TRACE(command_line(args));
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.find("amused"), 0u) << "the line starts with the program name: " << r.err;
    for (const auto &n : names)
      EXPECT_NE(r.err.find(n), std::string::npos) << n << " in: " << r.err;
    EXPECT_FALSE(fs::exists(tmp_ / "out.png")) << "nothing is written on failure";
  }

  TempDir tmp_;
};

TEST_F(Cli, TopLevelHelpListsTheCommands) {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  for (const char *c : {"image", "info"}) EXPECT_NE(r.out.find(c), std::string::npos) << r.out;
  EXPECT_EQ(run_cli({}).status, 2) << "no command is a usage error";
  EXPECT_EQ(run_cli({"help", "image"}).out, run_cli({"image", "--help"}).out);
}

TEST_F(Cli, ImageHelpDocumentsEveryFlagWithItsDefault) {
  const CliResult r = run_cli({"image", "--help"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char *flag :
       {"--model", "--prompt", "--negative-prompt", "--seed", "--steps", "--guidance-scale",
        "--width", "--height", "--init-image", "--strength", "--mask-image", "--num-images",
        "--threads", "--device", "--precision", "--output", "--tokens-output", "--help"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from:\n" << r.out;
  // Every option line states its default or that it is required.
  std::istringstream lines(r.out);
  std::string line;
  int options = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("  -", 0) != 0 || line.find("--help") != std::string::npos) continue;
    ++options;
    EXPECT_TRUE(line.find("(default: ") != std::string::npos ||
                line.find("(required)") != std::string::npos)
        << line;
  }
  EXPECT_GE(options, 17);
  // The pipelines' defaults.
  for (const char *d :
       {"default: 12)", "default: the model's", "default: 0)", "default: 0.5, or 1 with"})
    EXPECT_NE(r.out.find(d), std::string::npos) << d;
}

TEST_F(Cli, InfoDescribesTheModel) {
  const CliResult r = run_cli({"info", "--model", kTiny.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("32x32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cpu"), std::string::npos) << r.out;
  const CliResult j = run_cli({"info", "--model", kTiny.string(), "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto info = nlohmann::json::parse(j.out);
  EXPECT_EQ(info["native_width"], 32);
  EXPECT_EQ(info["vae_scale_factor"], 4);
  EXPECT_EQ(info["codebook_size"], 64);
  EXPECT_EQ(info["mask_token_id"], 71);
  EXPECT_GT(info["parameters"].get<int64_t>(), 0);
  EXPECT_EQ(info["precision"], "fp32");
}

TEST_F(Cli, InfoUsesTheDefaultModelWithoutModelFlag) {
  const CliResult r = run_cli({"info"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("amused-default"), std::string::npos) << r.out;
}

TEST_F(Cli, ImageWritesAndReportsProgress) {
  const CliResult r = run_cli(image_args({}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("2/2"), std::string::npos) << "progress on stderr:\n" << r.err;
  EXPECT_EQ(r.out, tmp_ / "out.png" + "\n");
  const Image out = media::read_image(tmp_ / "out.png");
  EXPECT_EQ(out.width, 32);
  EXPECT_EQ(out.height, 32);
}

TEST_F(Cli, UnknownCommand) { expect_failure({"imagine"}, 2, {"imagine"}); }

TEST_F(Cli, UnknownFlag) { expect_failure(image_args({"--bogus", "1"}), 2, {"--bogus"}); }

TEST_F(Cli, MissingValue) { expect_failure(image_args({"--seed"}), 2, {"--seed"}); }

TEST_F(Cli, PositionalArgument) { expect_failure(image_args({"extra"}), 2, {"extra"}); }

TEST_F(Cli, MissingPrompt) {
  expect_failure({"image", "--model", kTiny.string(), "--output", tmp_ / "out.png"}, 2,
                 {"--prompt"});
}

TEST_F(Cli, MissingOutput) {
  expect_failure({"image", "--model", kTiny.string(), "--prompt", "x"}, 2, {"--output"});
}

TEST_F(Cli, StepsBelowOne) { expect_failure(image_args({"--steps", "0"}), 2, {"--steps", "0"}); }

TEST_F(Cli, StepsNotANumber) {
  expect_failure(image_args({"--steps", "twelve"}), 2, {"--steps", "twelve"});
}

TEST_F(Cli, NegativeSeed) { expect_failure(image_args({"--seed", "-1"}), 2, {"--seed"}); }

TEST_F(Cli, GuidanceNotFinite) {
  expect_failure(image_args({"--guidance-scale", "nan"}), 2, {"--guidance-scale"});
}

TEST_F(Cli, NumImagesZero) {
  expect_failure(image_args({"--num-images", "0"}), 2, {"--num-images"});
}

TEST_F(Cli, StrengthAboveOne) {
  expect_failure(image_args({"--init-image", tmp_ / "init.png", "--strength", "1.5"}), 2,
                 {"--strength", "1.5"});
}

TEST_F(Cli, StrengthBelowZero) {
  expect_failure(image_args({"--init-image", tmp_ / "init.png", "--strength", "-0.1"}), 2,
                 {"--strength"});
}

TEST_F(Cli, StrengthWithoutInitImage) {
  expect_failure(image_args({"--strength", "0.3"}), 2, {"--strength", "--init-image"});
}

TEST_F(Cli, MaskWithoutInitImage) {
  expect_failure(image_args({"--mask-image", tmp_ / "mask.png"}), 2,
                 {"--mask-image", "--init-image"});
}

TEST_F(Cli, SizeTheModelCannotMake) {
  expect_failure(image_args({"--width", "30", "--height", "32"}), 2, {"--width", "30"});
  expect_failure(image_args({"--width", "32", "--height", "34"}), 2, {"--height", "34"});
}

TEST_F(Cli, NegativeSize) { expect_failure(image_args({"--width", "-32"}), 2, {"--width"}); }

TEST_F(Cli, BadDevice) { expect_failure(image_args({"--device", "tpu"}), 2, {"--device", "tpu"}); }

TEST_F(Cli, CudaUnavailable) {
  expect_failure(image_args({"--device", "cuda"}), 1, {"cuda", "not available"});
}

TEST_F(Cli, BadPrecision) {
  expect_failure(image_args({"--precision", "fp8"}), 2, {"--precision", "fp8"});
}

TEST_F(Cli, NegativeThreads) { expect_failure(image_args({"--threads", "-2"}), 2, {"--threads"}); }

TEST_F(Cli, MissingInitImage) {
  const std::string missing = tmp_ / "nope.png";
  expect_failure(image_args({"--init-image", missing}), 1, {"--init-image", missing});
}

TEST_F(Cli, InitImageNotAPng) {
  const std::string bad = tmp_ / "not-a-png.png";
  expect_failure(image_args({"--init-image", bad}), 1, {"--init-image", bad});
}

TEST_F(Cli, UnreadableMask) {
  const std::string bad = tmp_ / "not-a-png.png";
  expect_failure(image_args({"--init-image", tmp_ / "init.png", "--mask-image", bad}), 1,
                 {"--mask-image", bad});
}

TEST_F(Cli, MissingModelFolder) {
  const std::string missing = tmp_ / "no-such-model";
  expect_failure({"image", "--model", missing, "--prompt", "x", "--output", tmp_ / "out.png"}, 1,
                 {missing, "does not exist"});
}

TEST_F(Cli, OutputFolderMissing) {
  const std::string folder = tmp_ / "no-such-folder";
  expect_failure(
      {"image", "--model", kTiny.string(), "--prompt", "x", "--output", folder + "/out.png"}, 1,
      {"--output", folder, "does not exist"});
}

TEST_F(Cli, TokensOutputFolderMissing) {
  const std::string folder = tmp_ / "no-such-folder";
  expect_failure(image_args({"--tokens-output", folder + "/t.json"}), 1,
                 {"--tokens-output", folder});
}

// Engine errors can list several problems on several lines; the command folds them.
TEST_F(Cli, MultiLineEngineErrorIsOneLine) {
  const fs::path broken = tmp_.path() / "broken";
  fs::copy(kTiny, broken, fs::copy_options::recursive);
  fs::remove_all(broken / "golden");
  // A transformer config that no longer matches its weights: every layer's tensors mismatch.
  std::ifstream in(broken / "transformer" / "config.json");
  auto config = nlohmann::json::parse(in);
  in.close();
  config["intermediate_size"] = 40;
  std::ofstream(broken / "transformer" / "config.json") << config.dump(2);
  expect_failure(
      {"image", "--model", broken.string(), "--prompt", "x", "--output", tmp_ / "out.png"}, 1,
      {"diffusion_pytorch_model.safetensors", "problem(s)", "shape"});
}

}  // namespace
}  // namespace amused::e2e
