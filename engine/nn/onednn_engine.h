// The oneDNN CPU engine that the packed products and convolutions run on (Debian's libdnnl),
// created on first use and shared, with the type names both use.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace amused::nn {

using dnnl_type = dnnl::memory::data_type;
using dnnl_layout = dnnl::memory::format_tag;

const dnnl::engine &onednn_cpu_engine();

}  // namespace amused::nn
