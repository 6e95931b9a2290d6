// What the first use of a key makes (oneDNN primitives, by shape), kept for its later uses.
// Thread-safe: `make` runs under the lock, once per key.
#pragma once

#include <map>
#include <mutex>

namespace amused::nn {

template <typename Key, typename Value>
class PrimitiveCache {
 public:
  template <typename Make>
  const Value &get(const Key &key, Make &&make) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = values_.find(key);
    if (it == values_.end()) it = values_.emplace(key, make()).first;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::map<Key, Value> values_;
};

}  // namespace amused::nn
