// The safetensors format: an 8-byte little-endian header length, a JSON header mapping
// tensor names to dtype, shape and byte range, then the raw little-endian data.
// Every header field is checked against the file before any tensor is touched.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace amused {

class MappedFile;

namespace checkpoint {

struct TensorEntry {
  torch::Dtype dtype;
  std::string dtype_name;  // as written in the header ("F32", "F16", "BF16", ...)
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offsets into the data section
  size_t end = 0;
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path &path);
  ~SafetensorsFile();

  const std::filesystem::path &path() const { return path_; }
  const std::map<std::string, TensorEntry> &entries() const { return entries_; }
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  bool contains(const std::string &key) const { return entries_.count(key) != 0; }

  // A CPU tensor aliasing the mapped bytes (no copy). It keeps the mapping alive and must
  // be treated as read-only. Throws Error if `key` is absent.
  torch::Tensor view(const std::string &key) const;
  // The tensor's bytes were copied and will not be read again: their pages stop counting
  // to the process's resident memory (MappedFile::forget).
  void forget(const std::string &key) const;

 private:
  std::filesystem::path path_;
  std::shared_ptr<MappedFile> file_;
  size_t data_offset_ = 0;
  std::map<std::string, TensorEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` (any CPU dtype the format knows) with an optional __metadata__ map.
// Writes to a temporary file first and renames it, so a crash never leaves half a file.
void write_safetensors(const std::filesystem::path &path,
                       const std::map<std::string, torch::Tensor> &tensors,
                       const std::map<std::string, std::string> &metadata = {});

}  // namespace checkpoint
}  // namespace amused
