#include "nn/onednn_engine.h"

#include "amused.h"

namespace amused::nn {

const dnnl::engine &onednn_cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

void require_optimized_kernel(const std::string &impl, const std::string &what) {
  if (impl.rfind("ref", 0) == 0)
    throw Error("oneDNN offers only its reference kernel (" + impl + ") for " + what +
                " on this processor");
}

}  // namespace amused::nn
