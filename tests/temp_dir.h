// A fresh folder under the system's temporary directory, removed with everything in it when
// the object goes; `prefix` names the test binary it belongs to.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace amused::test {

class TempDir {
 public:
  explicit TempDir(const std::string &prefix = "amused-train-test") {
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace amused::test
