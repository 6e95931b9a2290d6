#include "checkpoint/json_config.h"

#include <cmath>
#include <fstream>

#include "amused.h"

namespace amused::checkpoint {

namespace {

std::string type_name(const nlohmann::json &j) {
  return std::string(j.type_name()) + " " + j.dump();
}

}  // namespace

JsonConfig JsonConfig::load(const std::filesystem::path &file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open (missing file?)");
  try {
    auto j = nlohmann::json::parse(in);
    if (!j.is_object()) throw Error(file.string() + ": not a JSON object");
    return JsonConfig(std::move(j), file);
  } catch (const nlohmann::json::exception &e) {
    throw Error(file.string() + ": invalid JSON: " + e.what());
  }
}

std::string JsonConfig::describe(const std::string &key, const std::string &reason) const {
  return file_.string() + ": key '" + key + "': " + reason;
}

bool JsonConfig::has(const std::string &key) const {
  auto it = json_.find(key);
  return it != json_.end() && !it->is_null();
}

const nlohmann::json &JsonConfig::require(const std::string &key) const {
  auto it = json_.find(key);
  if (it == json_.end()) throw Error(describe(key, "missing"));
  return *it;
}

int64_t JsonConfig::get_int(const std::string &key) const {
  const auto &v = require(key);
  if (v.is_number_integer()) return v.get<int64_t>();
  // Some exporters write integral values as 8.0; accept those, refuse 8.5. The range is
  // checked before the cast: converting 1e36 to int64_t is undefined behaviour (found by
  // tests/fuzz/fuzz_config; regression input tests/fuzz/corpus/config/regress-int-1e36).
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d >= -0x1p63 && d < 0x1p63 && d == std::trunc(d)) return static_cast<int64_t>(d);
  }
  throw Error(describe(key, "expected an integer, found " + type_name(v)));
}

int64_t JsonConfig::get_int(const std::string &key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

std::optional<int64_t> JsonConfig::get_optional_int(const std::string &key) const {
  if (!has(key)) return std::nullopt;
  return get_int(key);
}

double JsonConfig::get_double(const std::string &key) const {
  const auto &v = require(key);
  if (!v.is_number()) throw Error(describe(key, "expected a number, found " + type_name(v)));
  return v.get<double>();
}

double JsonConfig::get_double(const std::string &key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

bool JsonConfig::get_bool(const std::string &key) const {
  const auto &v = require(key);
  if (!v.is_boolean()) throw Error(describe(key, "expected true or false, found " + type_name(v)));
  return v.get<bool>();
}

bool JsonConfig::get_bool(const std::string &key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

std::string JsonConfig::get_string(const std::string &key) const {
  const auto &v = require(key);
  if (!v.is_string()) throw Error(describe(key, "expected a string, found " + type_name(v)));
  return v.get<std::string>();
}

std::string JsonConfig::get_string(const std::string &key, const std::string &fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::vector<int64_t> JsonConfig::get_int_list(const std::string &key) const {
  const auto &v = require(key);
  if (!v.is_array())
    throw Error(describe(key, "expected a list of integers, found " + type_name(v)));
  std::vector<int64_t> out;
  for (const auto &e : v) {
    if (!e.is_number_integer())
      throw Error(describe(key, "expected a list of integers, found element " + type_name(e)));
    out.push_back(e.get<int64_t>());
  }
  return out;
}

std::vector<std::string> JsonConfig::get_string_list(const std::string &key) const {
  const auto &v = require(key);
  if (!v.is_array())
    throw Error(describe(key, "expected a list of strings, found " + type_name(v)));
  std::vector<std::string> out;
  for (const auto &e : v) {
    if (!e.is_string())
      throw Error(describe(key, "expected a list of strings, found element " + type_name(e)));
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace amused::checkpoint
