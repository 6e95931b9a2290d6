// Precompiled header for the engine's translation units: libtorch's headers take most of
// each unit's compile time (about 15 s of a 20 s unit on two cores).
#include <torch/torch.h>
