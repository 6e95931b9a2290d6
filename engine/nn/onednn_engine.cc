#include "nn/onednn_engine.h"

namespace amused::nn {

const dnnl::engine &onednn_cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace amused::nn
