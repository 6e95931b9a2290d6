// Scratch copies of test checkpoints that a test may break, and raw safetensors editing.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace amused::testing {

// A fresh folder under the system temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "amused-test-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  const std::filesystem::path &path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Copies a checkpoint folder without its golden/ outputs. The fixtures are read-only in the
// source tree; the copy is made writable so tests can edit and delete its files.
inline void copy_checkpoint(const std::filesystem::path &from, const std::filesystem::path &to) {
  namespace fs = std::filesystem;
  fs::create_directories(to);
  for (const auto &entry : fs::directory_iterator(from)) {
    if (entry.path().filename() == "golden") continue;
    fs::copy(entry.path(), to / entry.path().filename(), fs::copy_options::recursive);
  }
  for (const auto &entry : fs::recursive_directory_iterator(to))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
}

inline nlohmann::json read_json(const std::filesystem::path &file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

inline void write_json(const std::filesystem::path &file, const nlohmann::json &j) {
  std::ofstream(file) << j.dump(2);
}

inline std::string read_bytes(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path &file, const std::string &bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// A safetensors file split into its JSON header and data section, for hand-made corruption.
struct RawSafetensors {
  nlohmann::json header;
  std::string data;

  static RawSafetensors read(const std::filesystem::path &file) {
    const std::string bytes = read_bytes(file);
    uint64_t len = 0;
    std::memcpy(&len, bytes.data(), 8);
    return {nlohmann::json::parse(bytes.substr(8, len)), bytes.substr(8 + len)};
  }
  // Writes `header_text` verbatim (it need not be valid JSON) followed by the data.
  static void write_text(const std::filesystem::path &file, const std::string &header_text,
                         const std::string &data) {
    const uint64_t len = header_text.size();
    std::string bytes(reinterpret_cast<const char *>(&len), 8);
    write_bytes(file, bytes + header_text + data);
  }
  void write(const std::filesystem::path &file) const { write_text(file, header.dump(), data); }
};

}  // namespace amused::testing
