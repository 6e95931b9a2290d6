#include "nn/onednn_engine.h"

#include <torch/torch.h>

#include "amused.h"

namespace amused::nn {

const dnnl::engine &onednn_cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

bool is_reference_kernel(const std::string &impl) { return impl.rfind("ref", 0) == 0; }

void require_optimized_kernel(const std::string &impl, const std::string &what) {
  if (is_reference_kernel(impl))
    throw Error("oneDNN offers only its reference kernel (" + impl + ") for " + what +
                " on this processor");
}

void reorder_on_cpu(dnnl::memory source, dnnl::memory target) {
  dnnl::stream stream(onednn_cpu_engine());
  dnnl::reorder(source, target).execute(stream, source, target);
  stream.wait();
}

void execute_on_cpu(const dnnl::primitive &primitive, const dnnl::memory::desc &scratchpad,
                    std::unordered_map<int, dnnl::memory> args) {
  // From libtorch's allocator: the engine's recycling one keeps large blocks for next time.
  auto bytes = torch::empty({static_cast<int64_t>(scratchpad.get_size())}, torch::kUInt8);
  const auto &engine = onednn_cpu_engine();
  args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(scratchpad, engine, bytes.data_ptr());
  thread_local dnnl::stream stream(engine);
  primitive.execute(stream, args);
  stream.wait();
}

}  // namespace amused::nn
