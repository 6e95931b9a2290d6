// Which tokens a frame samples again, and with how many steps: pure functions of the
// camera move or the source's change map, tested without a model.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace amused::video {

// Steps for a frame that re-masks `fraction` of its tokens: the full count scaled by the
// fraction, at least `min_steps` (and never more than the full count).
int partial_steps(int full_steps, double fraction, int min_steps);

// Cells drawn with probability `fraction`, from a generator of their own (seeded by `seed`
// and the frame index) so that the frame's sampling stream is what it would be without them.
torch::Tensor random_cells(at::IntArrayRef shape, double fraction, uint64_t seed,
                           int64_t frame_index);

struct RemaskPlan {
  torch::Tensor region;  // bool [1,h,w]: cells that follow the new input (restyle: source tokens)
  torch::Tensor mask;    // bool [1,h,w]: cells masked and sampled again
  int64_t count = 0;     // cells in `mask`
  int steps = 0;         // 0 when nothing is masked
  bool keyframe = false;
};

// Every `interval` frames, `fraction` of the tokens are sampled again (0 = never).
struct KeyframeRule {
  int interval = 0;
  double fraction = 0.1;
};

// A generated frame after the camera moved: the revealed cells and the keyframe refresh,
// grown by `boundary` tokens.
RemaskPlan plan_generated_frame(const torch::Tensor &revealed, int64_t frame_index,
                                const KeyframeRule &rule, uint64_t seed, int boundary,
                                int full_steps, int min_steps);

// A restyled frame: the cells whose source changed, grown by `boundary`, within `allowed`
// (`changed` undefined: a keyframe, every allowed cell), of which a `strength` fraction is
// drawn to be sampled again.
RemaskPlan plan_restyled_frame(const torch::Tensor &changed, const torch::Tensor &allowed,
                               double strength, uint64_t seed, int64_t frame_index, int boundary,
                               int full_steps);

}  // namespace amused::video
