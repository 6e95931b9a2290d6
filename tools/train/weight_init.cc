#include "tools/train/weight_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "engine/nn/layers.h"

namespace amused::train {

void init_convolutions_fan_in(torch::nn::Module &root, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto &m : root.modules(true)) {
    auto *conv = dynamic_cast<nn::Conv2dImpl *>(m.get());
    if (!conv) continue;
    const auto &w = conv->weight;
    const double fan_in = double(w.size(1) * w.size(2) * w.size(3));
    const double bound = 1.0 / std::sqrt(fan_in);
    conv->weight.uniform_(-bound, bound, gen);
    if (conv->bias.defined()) conv->bias.zero_();
  }
}

void set_conv_memory_format(torch::nn::Module &root, c10::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (auto &p : root.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(format));
}

}  // namespace amused::train
