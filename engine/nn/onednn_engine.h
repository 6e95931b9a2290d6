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

// Whether oneDNN chose its reference implementation (`impl`, the primitive descriptor's
// impl_info_str()): that would be silently orders of magnitude slower.
bool is_reference_kernel(const std::string &impl);
// Throws amused::Error when it did, for `what`.
void require_optimized_kernel(const std::string &impl, const std::string &what);

// Copies `source` into `target`'s layout (weights packed once at load), and waits.
void reorder_on_cpu(dnnl::memory source, dnnl::memory target);

// Runs `primitive` (created with scratchpad_mode::user, so that one primitive serves several
// threads at once) on the calling thread's stream with a scratchpad of this call's own, and
// waits for it. `args` without the scratchpad.
void execute_on_cpu(const dnnl::primitive &primitive, const dnnl::memory::desc &scratchpad,
                    std::unordered_map<int, dnnl::memory> args);

}  // namespace amused::nn
