// Read-only memory mapping of a whole file, so checkpoint tensors can be viewed in place
// and the kernel pages weights in on demand (peak memory stays near the size of the weights).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace amused {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const uint8_t *data() const { return data_; }
  // Tells the kernel the bytes [offset, offset + bytes) will not be read again soon, so the
  // pages they were read into stop counting to the process's memory (they are the file's,
  // clean: nothing is lost). Views of them stay valid.
  void forget(size_t offset, size_t bytes) const;
  size_t size() const { return size_; }
  const std::filesystem::path &path() const { return path_; }

 private:
  std::filesystem::path path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace amused
