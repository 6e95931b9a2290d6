#include "checkpoint/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

#include "amused.h"
#include "util/mapped_file.h"

namespace amused::checkpoint {

namespace {

using json = nlohmann::json;

struct DtypeName {
  const char *name;
  torch::Dtype dtype;
};

constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

std::string fail(const std::filesystem::path &path, const std::string &what) {
  return path.string() + ": " + what;
}

torch::Dtype parse_dtype(const std::filesystem::path &path, const std::string &key,
                         const std::string &name) {
  for (const auto &d : kDtypes)
    if (name == d.name) return d.dtype;
  throw Error(fail(path, "tensor '" + key + "' has unsupported dtype '" + name + "'"));
}

const char *dtype_name(torch::Dtype dtype) {
  for (const auto &d : kDtypes)
    if (d.dtype == dtype) return d.name;
  throw Error("safetensors: cannot write dtype " + std::string(c10::toString(dtype)));
}

TensorEntry parse_entry(const std::filesystem::path &path, const std::string &key,
                        const json &value, size_t data_size) {
  if (!value.is_object()) throw Error(fail(path, "header entry '" + key + "' is not an object"));
  auto field = [&](const char *name) -> const json & {
    auto it = value.find(name);
    if (it == value.end())
      throw Error(fail(path, "tensor '" + key + "' has no '" + name + "' in the header"));
    return *it;
  };
  const json &dtype = field("dtype");
  const json &shape = field("shape");
  const json &offsets = field("data_offsets");
  if (!dtype.is_string()) throw Error(fail(path, "tensor '" + key + "': dtype is not a string"));
  TensorEntry entry;
  entry.dtype_name = dtype.get<std::string>();
  entry.dtype = parse_dtype(path, key, entry.dtype_name);
  if (!shape.is_array()) throw Error(fail(path, "tensor '" + key + "': shape is not an array"));
  size_t numel = 1;
  for (const auto &d : shape) {
    if (!d.is_number_unsigned())
      throw Error(fail(path, "tensor '" + key + "': shape has a non-integer or negative entry"));
    entry.shape.push_back(d.get<int64_t>());
    numel *= d.get<size_t>();
  }
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    throw Error(fail(path, "tensor '" + key + "': data_offsets must be two unsigned integers"));
  entry.begin = offsets[0].get<size_t>();
  entry.end = offsets[1].get<size_t>();
  if (entry.begin > entry.end || entry.end > data_size)
    throw Error(fail(path, "tensor '" + key + "': data_offsets [" + std::to_string(entry.begin) +
                               ", " + std::to_string(entry.end) + ") lie outside the " +
                               std::to_string(data_size) + "-byte data section (truncated file?)"));
  const size_t expected = numel * torch::elementSize(entry.dtype);
  if (entry.end - entry.begin != expected)
    throw Error(fail(path, "tensor '" + key + "': " + std::to_string(entry.end - entry.begin) +
                               " bytes for a shape that needs " + std::to_string(expected)));
  return entry;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path &path)
    : path_(path), file_(std::make_shared<MappedFile>(path)) {
  const size_t size = file_->size();
  if (size < 8) throw Error(fail(path, "too short to be a safetensors file"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, file_->data(), 8);  // little-endian on every platform we build for
  if (header_len > size - 8)
    throw Error(fail(path, "header length " + std::to_string(header_len) + " exceeds file size " +
                               std::to_string(size) + " (truncated or not safetensors)"));
  data_offset_ = 8 + header_len;
  json header;
  try {
    header = json::parse(file_->data() + 8, file_->data() + data_offset_);
  } catch (const json::exception &e) {
    throw Error(fail(path, std::string("header is not valid JSON: ") + e.what()));
  }
  if (!header.is_object()) throw Error(fail(path, "header is not a JSON object"));
  const size_t data_size = size - data_offset_;
  for (const auto &[key, value] : header.items()) {
    if (key == "__metadata__") {
      if (value.is_object())
        for (const auto &[mk, mv] : value.items())
          if (mv.is_string()) metadata_[mk] = mv.get<std::string>();
      continue;
    }
    entries_.emplace(key, parse_entry(path, key, value, data_size));
  }
  // Overlapping byte ranges mean a corrupt or hostile header.
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const auto &[key, e] : entries_) ranges.emplace_back(e.begin, e.end);
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw Error(fail(path, "tensor byte ranges overlap in the header"));
}

SafetensorsFile::~SafetensorsFile() = default;

torch::Tensor SafetensorsFile::view(const std::string &key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) throw Error(fail(path_, "no tensor named '" + key + "'"));
  const TensorEntry &e = it->second;
  auto keep_alive = file_;
  void *ptr = const_cast<uint8_t *>(file_->data() + data_offset_ + e.begin);
  if (e.begin == e.end) return torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
  return torch::from_blob(
      ptr, e.shape, [keep_alive](void *) {}, torch::TensorOptions().dtype(e.dtype));
}

void SafetensorsFile::forget(const std::string &key) const {
  auto it = entries_.find(key);
  if (it != entries_.end())
    file_->forget(data_offset_ + it->second.begin, it->second.end - it->second.begin);
}

void write_safetensors(const std::filesystem::path &path,
                       const std::map<std::string, torch::Tensor> &tensors,
                       const std::map<std::string, std::string> &metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> blobs;
  size_t offset = 0;
  for (const auto &[key, t] : tensors) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    const size_t bytes = c.numel() * c.element_size();
    header[key] = {{"dtype", dtype_name(c.scalar_type())},
                   {"shape", c.sizes().vec()},
                   {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(std::move(c));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data section 8-byte aligned
  const uint64_t len = text.size();
  auto tmp = path;
  tmp += ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot open for writing");
    out.write(reinterpret_cast<const char *>(&len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto &b : blobs)
      out.write(static_cast<const char *>(b.data_ptr()),
                static_cast<std::streamsize>(b.numel() * b.element_size()));
    if (!out.flush()) throw Error(path.string() + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot rename temporary file: " + ec.message());
}

}  // namespace amused::checkpoint
