// The camera of a generated video: pan and zoom arithmetic, no model.
//
// The scene lives on a token canvas one token larger than the frame on every side. The
// camera accumulates its motion in pixels; each whole token of pan moves the canvas by one
// token (the caller shifts its tokens and regenerates what enters), and between whole
// tokens the frame is the canvas cropped at the sub-token offset, so motion is smooth at
// any speed. A zoom resamples the canvas once per token of zoom.
#pragma once

#include <cstdint>
#include <vector>

#include "amused.h"

namespace amused::video {

bool is_pan(CameraMotion motion);
bool is_zoom(CameraMotion motion);

// The canvas content moves by (dx, dy) tokens (a camera panning right moves it left).
struct TokenMove {
  int dx = 0;
  int dy = 0;
};

struct CameraAdvance {
  std::vector<TokenMove> moves;  // whole-token pans this frame, in order
  bool zoom_step = false;        // one token of zoom is due this frame
};

// The rectangle of the canvas (pixels) that the frame shows; `resample` when it must be
// scaled to the frame size (sub-token zoom).
struct ViewRect {
  int64_t left = 0, top = 0, width = 0, height = 0;
  bool resample = false;
};

class Camera {
 public:
  // A new anchor: back at the origin, no sub-token progress.
  void restart(CameraMotion motion);
  // Sub-token progress restarts when the motion changes; the position is kept.
  void follow(CameraMotion motion);
  CameraAdvance advance(double speed_px, int64_t token_px);
  ViewRect view(int64_t margin_px, int64_t width, int64_t height) const;
  // Where the camera is, in pixels of the scene, relative to the anchor frame.
  int64_t x(int64_t token_px) const;
  int64_t y(int64_t token_px) const;
  CameraMotion motion() const { return motion_; }

 private:
  int64_t sub_token_offset() const;

  CameraMotion motion_ = CameraMotion::kNone;
  double pan_px_ = 0.0;                  // accumulated sub-token pan
  double zoom_px_ = 0.0;                 // accumulated sub-token zoom, per side
  int64_t tokens_x_ = 0, tokens_y_ = 0;  // whole-token moves since the anchor
};

}  // namespace amused::video
