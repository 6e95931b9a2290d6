// Sharing loaded models between elements and threads, and locating the default model.
#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

#include "amused_build_config.h"
#include "pipeline/model.h"

namespace amused {

namespace fs = std::filesystem;

struct ModelCache::Impl {
  std::mutex mutex;
  // Weak references: the cache never keeps a model alive on its own.
  std::map<std::tuple<std::string, std::string, int>, std::weak_ptr<const Model>> models;
};

ModelCache::ModelCache() : impl_(std::make_shared<Impl>()) {}

std::shared_ptr<const Model> ModelCache::get(const fs::path &dir, const LoadOptions &options) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(dir, ec);
  auto key = std::make_tuple(ec ? dir.string() : canonical.string(), options.device,
                             static_cast<int>(options.precision));
  // Loading holds the lock so two elements naming the same folder load it once.
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (auto existing = impl_->models[key].lock()) return existing;
  auto model = load_model(dir, options);
  impl_->models[key] = model;
  return model;
}

fs::path default_model_dir() {
  // AMUSED_DEFAULT_MODEL overrides; then the source tree's copy (running from a build
  // directory), then the installed one.
  if (const char *env = std::getenv("AMUSED_DEFAULT_MODEL"); env && *env) {
    if (!fs::exists(fs::path(env) / "model_index.json"))
      throw Error(std::string("AMUSED_DEFAULT_MODEL=") + env + ": no model_index.json there");
    return env;
  }
  for (const fs::path &candidate :
       {fs::path(AMUSED_SOURCE_MODEL_DIR), fs::path(AMUSED_INSTALLED_MODEL_DIR)})
    if (fs::exists(candidate / "model_index.json")) return candidate;
  throw Error(std::string("the default model was found neither at ") + AMUSED_SOURCE_MODEL_DIR +
              " nor at " + AMUSED_INSTALLED_MODEL_DIR);
}

}  // namespace amused
