// CLIPTokenizer parity: every golden prompt (transformers v4.38.2 with ftfy 6.1.1), both
// vocab.json layouts, the special-token configuration, and the loader's error messages.
#include "text/clip_tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "amused.h"

namespace {

namespace fs = std::filesystem;
using amused::text::ClipTokenizer;

const fs::path kDataDir = fs::path(AMUSED_TEST_DATA_DIR) / "clip-tokenizer";

nlohmann::json load_json(const fs::path &path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

const ClipTokenizer &tokenizer() {
  static const ClipTokenizer tok = ClipTokenizer::from_folder(kDataDir);
  return tok;
}

struct GoldenCase {
  std::string prompt;
  std::vector<std::string> bpe_tokens;
  std::vector<int64_t> ids_unpadded;
  std::vector<int64_t> ids_padded;
};

std::vector<GoldenCase> load_cases(const fs::path &path) {
  std::vector<GoldenCase> cases;
  const nlohmann::json golden = load_json(path);
  for (const auto &c : golden["cases"]) {
    cases.push_back({c["prompt"].get<std::string>(),
                     c["bpe_tokens"].get<std::vector<std::string>>(),
                     c["ids_unpadded"].get<std::vector<int64_t>>(),
                     c["ids_padded_77"].get<std::vector<int64_t>>()});
  }
  return cases;
}

const std::vector<GoldenCase> &golden_cases() {
  static const std::vector<GoldenCase> cases = load_cases(kDataDir / "golden" / "tokens.json");
  return cases;
}

// A scratch folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("amused_tok_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path &path() const { return path_; }
  void write(const std::string &name, const std::string &content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }
  void copy(const fs::path &from, const std::string &name) const {
    fs::copy_file(from, path_ / name, fs::copy_options::overwrite_existing);
  }

 private:
  fs::path path_;
};

std::string read_all(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message of the amused::Error thrown by from_folder(dir).
std::string load_error(const fs::path &dir) {
  try {
    ClipTokenizer::from_folder(dir);
  } catch (const amused::Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "from_folder(" << dir << ") did not throw";
  return "";
}

TEST(ClipTokenizer, LoadsRealVocabulary) {
  const ClipTokenizer &tok = tokenizer();
  EXPECT_EQ(tok.vocab_size(), 49408u);
  EXPECT_EQ(tok.bos_id(), 49406);
  EXPECT_EQ(tok.eos_id(), 49407);
  EXPECT_EQ(tok.pad_id(), 49407);
  EXPECT_EQ(tok.max_length(), 77);
}

TEST(ClipTokenizer, PhotoOfACat) {
  EXPECT_EQ(tokenizer().encode("a photo of a cat"),
            (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 49407}));
}

TEST(ClipTokenizer, GoldenCasesMatch) {
  ASSERT_EQ(golden_cases().size(), 41u);
  for (const GoldenCase &c : golden_cases()) {
    SCOPED_TRACE("prompt: \"" + c.prompt + "\"");
    EXPECT_EQ(tokenizer().bpe_tokens(c.prompt), c.bpe_tokens);
    EXPECT_EQ(tokenizer().encode(c.prompt), c.ids_unpadded);
    EXPECT_EQ(tokenizer().encode_padded(c.prompt), c.ids_padded);
  }
}

TEST(ClipTokenizer, PaddedIsAlwaysMaxLengthWithEos) {
  for (const GoldenCase &c : golden_cases()) {
    const std::vector<int64_t> ids = tokenizer().encode_padded(c.prompt);
    ASSERT_EQ(ids.size(), 77u);
    EXPECT_EQ(ids.front(), 49406);
    const size_t content = std::min<size_t>(c.ids_unpadded.size() - 2, 75);
    EXPECT_EQ(ids[content + 1], 49407) << c.prompt;
  }
}

TEST(ClipTokenizer, PrettyPrintedSortedVocabGivesSameIds) {
  // amused checkpoints ship vocab.json as written by save_pretrained (indented, sorted).
  TempDir dir;
  dir.copy(kDataDir / "amused-tiny-tokenizer" / "vocab.json", "vocab.json");
  for (const char *name : {"merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
    dir.copy(kDataDir / name, name);
  }
  const ClipTokenizer pretty = ClipTokenizer::from_folder(dir.path());
  EXPECT_EQ(pretty.vocab_size(), tokenizer().vocab_size());
  for (const GoldenCase &c : golden_cases()) {
    EXPECT_EQ(pretty.encode_padded(c.prompt), c.ids_padded) << c.prompt;
    EXPECT_EQ(pretty.encode(c.prompt), c.ids_unpadded) << c.prompt;
  }
}

TEST(ClipTokenizer, DefaultsWithoutConfigFiles) {
  TempDir dir;
  dir.copy(kDataDir / "vocab.json", "vocab.json");
  dir.copy(kDataDir / "merges.txt", "merges.txt");
  const ClipTokenizer tok = ClipTokenizer::from_folder(dir.path());
  EXPECT_EQ(tok.bos_id(), 49406);
  EXPECT_EQ(tok.eos_id(), 49407);
  EXPECT_EQ(tok.pad_id(), 49407);
  EXPECT_EQ(tok.max_length(), 77);
  EXPECT_EQ(tok.encode_padded("a photo of a cat"), golden_cases()[0].ids_padded);
}

TEST(ClipTokenizer, ModelMaxLengthFromConfig) {
  TempDir dir;
  dir.copy(kDataDir / "vocab.json", "vocab.json");
  dir.copy(kDataDir / "merges.txt", "merges.txt");
  dir.write("tokenizer_config.json", R"({"model_max_length": 8})");
  const ClipTokenizer tok = ClipTokenizer::from_folder(dir.path());
  EXPECT_EQ(tok.max_length(), 8);
  // bos + 6 tokens + eos; "the quick brown fox jumps over the lazy dog" has 9 tokens.
  EXPECT_EQ(tok.encode_padded("the quick brown fox jumps over the lazy dog"),
            (std::vector<int64_t>{49406, 518, 3712, 2866, 3240, 18911, 962, 49407}));
  EXPECT_EQ(tok.encode_padded("a cat"),
            (std::vector<int64_t>{49406, 320, 2368, 49407, 49407, 49407, 49407, 49407}));
}

TEST(ClipTokenizer, LiteralSpecialTokensAreKept) {
  // Split out before normalisation, and again after lower-casing via the BPE cache.
  EXPECT_EQ(tokenizer().encode("<|startoftext|>"), (std::vector<int64_t>{49406, 49406, 49407}));
  EXPECT_EQ(tokenizer().bpe_tokens("a<|endoftext|>b"),
            (std::vector<std::string>{"a</w>", "<|endoftext|>", "b</w>"}));
  EXPECT_EQ(tokenizer().bpe_tokens("<|EndOfText|>"), (std::vector<std::string>{"<|endoftext|>"}));
}

TEST(ClipTokenizer, ConcurrentUseGivesSameResults) {
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng{static_cast<uint32_t>(t)};
      for (int i = 0; i < 200; ++i) {
        const GoldenCase &c = golden_cases()[rng() % golden_cases().size()];
        if (tokenizer().encode_padded(c.prompt) != c.ids_padded) ++mismatches;
      }
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ClipTokenizerErrors, MissingFolder) {
  const std::string msg = load_error(kDataDir / "no-such-folder");
  EXPECT_NE(msg.find("vocab.json"), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, TruncatedVocab) {
  TempDir dir;
  const std::string vocab = read_all(kDataDir / "vocab.json");
  dir.write("vocab.json", vocab.substr(0, vocab.size() / 2));
  dir.copy(kDataDir / "merges.txt", "merges.txt");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("vocab.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid JSON"), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, VocabIdNotAnInteger) {
  TempDir dir;
  dir.write("vocab.json", R"({"a": 0, "b": "one"})");
  dir.copy(kDataDir / "merges.txt", "merges.txt");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("vocab.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"b\""), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, MissingMerges) {
  TempDir dir;
  dir.copy(kDataDir / "vocab.json", "vocab.json");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("merges.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, MalformedMergeLineNamesTheLine) {
  TempDir dir;
  dir.copy(kDataDir / "vocab.json", "vocab.json");
  dir.write("merges.txt", "#version: 0.2\ni n\nt h\nthree symbols here\na n\n");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("merges.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, SpecialTokenMissingFromVocab) {
  TempDir dir;
  dir.write("vocab.json", R"({"a": 0, "<|endoftext|>": 1})");
  dir.write("merges.txt", "#version: 0.2\n");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("<|startoftext|>"), std::string::npos) << msg;
}

TEST(ClipTokenizerErrors, BadTokenizerConfig) {
  TempDir dir;
  dir.copy(kDataDir / "vocab.json", "vocab.json");
  dir.copy(kDataDir / "merges.txt", "merges.txt");
  dir.write("tokenizer_config.json", R"({"model_max_length": "77")");
  const std::string msg = load_error(dir.path());
  EXPECT_NE(msg.find("tokenizer_config.json"), std::string::npos) << msg;
}

}  // namespace
