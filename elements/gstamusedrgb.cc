/* gst-amused: amusedstylize's frames as RGB images. */
#include "gstamusedrgb.h"

#include <cstring>

namespace gst_amused {

namespace {

// Copies rows between an RGB frame and a tightly packed image.
void copy_rows(const guint8 *src, gint src_stride, guint8 *dst, gint dst_stride, size_t row,
               int rows) {
  for (int y = 0; y < rows; ++y)
    std::memcpy(dst + static_cast<size_t>(y) * dst_stride,
                src + static_cast<size_t>(y) * src_stride, row);
}

}  // namespace

RgbFrames::~RgbFrames() { reset(); }

void RgbFrames::reset() {
  if (to_rgb_) gst_video_converter_free(to_rgb_);
  if (from_rgb_) gst_video_converter_free(from_rgb_);
  to_rgb_ = from_rgb_ = nullptr;
}

gboolean RgbFrames::configure(const GstVideoInfo *in, const GstVideoInfo *out) {
  reset();
  gst_video_info_set_format(&rgb_, GST_VIDEO_FORMAT_RGB, GST_VIDEO_INFO_WIDTH(in),
                            GST_VIDEO_INFO_HEIGHT(in));
  // The converter wants everything but the format to agree.
  rgb_.fps_n = in->fps_n;
  rgb_.fps_d = in->fps_d;
  rgb_.par_n = in->par_n;
  rgb_.par_d = in->par_d;
  rgb_.interlace_mode = in->interlace_mode;
  if (GST_VIDEO_INFO_FORMAT(in) == GST_VIDEO_FORMAT_RGB &&
      GST_VIDEO_INFO_FORMAT(out) == GST_VIDEO_FORMAT_RGB)
    return TRUE;
  to_rgb_ = gst_video_converter_new(const_cast<GstVideoInfo *>(in), &rgb_, nullptr);
  from_rgb_ = gst_video_converter_new(&rgb_, const_cast<GstVideoInfo *>(out), nullptr);
  if (!to_rgb_ || !from_rgb_) {
    reset();
    return FALSE;
  }
  return TRUE;
}

amused::Image RgbFrames::to_image(GstVideoFrame *frame) const {
  amused::Image image;
  image.width = GST_VIDEO_FRAME_WIDTH(frame);
  image.height = GST_VIDEO_FRAME_HEIGHT(frame);
  image.channels = 3;
  const size_t row = static_cast<size_t>(image.width) * 3;
  image.pixels.resize(row * image.height);
  if (!to_rgb_) {
    copy_rows(static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
              GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), image.pixels.data(), static_cast<gint>(row),
              row, image.height);
    return image;
  }
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb_), nullptr);
  GstVideoFrame rgb;
  gst_video_frame_map(&rgb, const_cast<GstVideoInfo *>(&rgb_), buffer, GST_MAP_WRITE);
  gst_video_converter_frame(to_rgb_, frame, &rgb);
  copy_rows(static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&rgb, 0)),
            GST_VIDEO_FRAME_PLANE_STRIDE(&rgb, 0), image.pixels.data(), static_cast<gint>(row), row,
            image.height);
  gst_video_frame_unmap(&rgb);
  gst_buffer_unref(buffer);
  return image;
}

void RgbFrames::to_frame(const amused::Image &image, GstVideoFrame *frame) const {
  const size_t row = static_cast<size_t>(image.width) * 3;
  if (!from_rgb_) {
    copy_rows(image.pixels.data(), static_cast<gint>(row),
              static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
              GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), row, image.height);
    return;
  }
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb_), nullptr);
  GstVideoFrame rgb;
  gst_video_frame_map(&rgb, const_cast<GstVideoInfo *>(&rgb_), buffer, GST_MAP_WRITE);
  copy_rows(image.pixels.data(), static_cast<gint>(row),
            static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&rgb, 0)),
            GST_VIDEO_FRAME_PLANE_STRIDE(&rgb, 0), row, image.height);
  gst_video_converter_frame(from_rgb_, &rgb, frame);
  gst_video_frame_unmap(&rgb);
  gst_buffer_unref(buffer);
}

}  // namespace gst_amused
