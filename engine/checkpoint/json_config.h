// Typed access to a component's config.json. Every failure names the file, the key and
// what was wrong with it, so a user can fix a broken download by reading one line.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amused::checkpoint {

class JsonConfig {
 public:
  static JsonConfig load(const std::filesystem::path &file);
  JsonConfig(nlohmann::json json, std::filesystem::path file)
      : json_(std::move(json)), file_(std::move(file)) {}

  const std::filesystem::path &file() const { return file_; }
  const nlohmann::json &json() const { return json_; }
  bool has(const std::string &key) const;

  // Required fields throw when absent; the overloads with a default accept absence
  // (fields that later diffusers versions added with backward-compatible defaults).
  int64_t get_int(const std::string &key) const;
  int64_t get_int(const std::string &key, int64_t fallback) const;
  std::optional<int64_t> get_optional_int(const std::string &key) const;  // absent or null
  double get_double(const std::string &key) const;
  double get_double(const std::string &key, double fallback) const;
  bool get_bool(const std::string &key) const;
  bool get_bool(const std::string &key, bool fallback) const;
  std::string get_string(const std::string &key) const;
  std::string get_string(const std::string &key, const std::string &fallback) const;
  std::vector<int64_t> get_int_list(const std::string &key) const;
  std::vector<std::string> get_string_list(const std::string &key) const;

  // An error message in this config's voice: "<file>: key 'k': <reason>".
  std::string describe(const std::string &key, const std::string &reason) const;

 private:
  const nlohmann::json &require(const std::string &key) const;

  nlohmann::json json_;
  std::filesystem::path file_;
};

}  // namespace amused::checkpoint
