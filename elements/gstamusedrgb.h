/* gst-amused: amusedstylize's frames as RGB images, whatever raw format was negotiated.
 *
 * The engine works on RGB. An RGB stream is copied in and out as it is; any other raw
 * format GStreamer knows goes through GstVideoConverter (to RGB on the way in, back to the
 * negotiated format on the way out), so no videoconvert is needed around the element.
 */
#pragma once

#include <gst/video/video.h>

#include "amused.h"

namespace gst_amused {

class RgbFrames {
 public:
  RgbFrames() = default;
  ~RgbFrames();
  RgbFrames(const RgbFrames &) = delete;
  RgbFrames &operator=(const RgbFrames &) = delete;

  // For frames of `in` coming in and `out` going out (same size). FALSE if GStreamer cannot
  // convert between them and RGB.
  gboolean configure(const GstVideoInfo *in, const GstVideoInfo *out);
  void reset();
  gboolean converts() const { return to_rgb_ != nullptr; }

  amused::Image to_image(GstVideoFrame *frame) const;
  void to_frame(const amused::Image &image, GstVideoFrame *frame) const;

 private:
  GstVideoInfo rgb_;
  GstVideoConverter *to_rgb_ = nullptr;
  GstVideoConverter *from_rgb_ = nullptr;
};

}  // namespace gst_amused
