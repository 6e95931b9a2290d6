// The oneDNN CPU engine that the packed products and convolutions run on (Debian's libdnnl),
// created on first use and shared, with the type names both use.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <unordered_map>

namespace amused::nn {

using dnnl_type = dnnl::memory::data_type;
using dnnl_layout = dnnl::memory::format_tag;

const dnnl::engine &onednn_cpu_engine();

// Throws amused::Error when oneDNN chose its reference implementation (`impl`, the primitive
// descriptor's impl_info_str()) for `what`: that would be silently orders of magnitude slower.
void require_optimized_kernel(const std::string &impl, const std::string &what);

// Runs `primitive` (created with scratchpad_mode::user, so that one primitive serves several
// threads at once) on the calling thread's stream with a scratchpad of this call's own, and
// waits for it. `args` without the scratchpad.
void execute_on_cpu(const dnnl::primitive &primitive, const dnnl::memory::desc &scratchpad,
                    std::unordered_map<int, dnnl::memory> args);

}  // namespace amused::nn
