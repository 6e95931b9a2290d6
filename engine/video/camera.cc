#include "video/camera.h"

#include <algorithm>
#include <cmath>

namespace amused::video {

bool is_pan(CameraMotion m) {
  return m == CameraMotion::kPanLeft || m == CameraMotion::kPanRight || m == CameraMotion::kPanUp ||
         m == CameraMotion::kPanDown;
}

bool is_zoom(CameraMotion m) { return m == CameraMotion::kZoomIn || m == CameraMotion::kZoomOut; }

void Camera::restart(CameraMotion motion) {
  *this = Camera();
  motion_ = motion;
}

void Camera::follow(CameraMotion motion) {
  if (motion == motion_) return;
  motion_ = motion;
  pan_px_ = zoom_px_ = 0.0;
}

CameraAdvance Camera::advance(double speed_px, int64_t token_px) {
  CameraAdvance out;
  if (is_pan(motion_)) {
    pan_px_ += speed_px;
    while (pan_px_ >= token_px) {
      pan_px_ -= token_px;
      TokenMove move;
      switch (motion_) {
        case CameraMotion::kPanRight:
          move.dx = -1;
          break;
        case CameraMotion::kPanLeft:
          move.dx = 1;
          break;
        case CameraMotion::kPanDown:
          move.dy = -1;
          break;
        case CameraMotion::kPanUp:
          move.dy = 1;
          break;
        default:
          break;
      }
      tokens_x_ -= move.dx;
      tokens_y_ -= move.dy;
      out.moves.push_back(move);
    }
  } else if (is_zoom(motion_)) {
    zoom_px_ += speed_px;
    if (zoom_px_ >= token_px) {
      zoom_px_ -= token_px;
      out.zoom_step = true;
    }
  }
  return out;
}

int64_t Camera::sub_token_offset() const { return static_cast<int64_t>(std::floor(pan_px_)); }

ViewRect Camera::view(int64_t margin_px, int64_t width, int64_t height) const {
  ViewRect v{margin_px, margin_px, width, height, false};
  if (is_pan(motion_)) {
    const int64_t off = sub_token_offset();
    if (motion_ == CameraMotion::kPanRight) v.left += off;
    if (motion_ == CameraMotion::kPanLeft) v.left -= off;
    if (motion_ == CameraMotion::kPanDown) v.top += off;
    if (motion_ == CameraMotion::kPanUp) v.top -= off;
  } else if (is_zoom(motion_) && zoom_px_ > 0) {
    const double zx = motion_ == CameraMotion::kZoomIn ? zoom_px_ : -zoom_px_;
    const double zy = zx * static_cast<double>(height) / static_cast<double>(width);
    v.left = margin_px + static_cast<int64_t>(std::lround(zx));
    v.top = margin_px + static_cast<int64_t>(std::lround(zy));
    v.width = std::max<int64_t>(1, width - 2 * (v.left - margin_px));
    v.height = std::max<int64_t>(1, height - 2 * (v.top - margin_px));
    v.resample = true;
  }
  return v;
}

int64_t Camera::x(int64_t token_px) const {
  int64_t sub = 0;
  if (motion_ == CameraMotion::kPanRight) sub = sub_token_offset();
  if (motion_ == CameraMotion::kPanLeft) sub = -sub_token_offset();
  return tokens_x_ * token_px + sub;
}

int64_t Camera::y(int64_t token_px) const {
  int64_t sub = 0;
  if (motion_ == CameraMotion::kPanDown) sub = sub_token_offset();
  if (motion_ == CameraMotion::kPanUp) sub = -sub_token_offset();
  return tokens_y_ * token_px + sub;
}

}  // namespace amused::video
