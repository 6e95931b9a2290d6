/* gst-amused: reading amusedstylize's mask picture through GStreamer. */
#include "gstamusedmask.h"

#include <gst/video/video.h>

#include <cstring>

namespace gst_amused {

namespace {

// The first error on the bus, as text.
std::string bus_error(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  gst_object_unref(bus);
  if (!msg) return "the picture could not be decoded";
  GError *error = nullptr;
  gst_message_parse_error(msg, &error, nullptr);
  std::string text = error ? error->message : "unknown error";
  if (error) g_error_free(error);
  gst_message_unref(msg);
  return text;
}

amused::Image rgba_from_sample(GstSample *sample) {
  amused::Image image;
  GstVideoInfo info;
  GstVideoFrame frame;
  if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
      !gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample), GST_MAP_READ))
    return image;
  image.width = GST_VIDEO_FRAME_WIDTH(&frame);
  image.height = GST_VIDEO_FRAME_HEIGHT(&frame);
  image.channels = 4;
  const size_t row = static_cast<size_t>(image.width) * 4;
  image.pixels.resize(row * image.height);
  const auto *src = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int y = 0; y < image.height; ++y)
    std::memcpy(&image.pixels[y * row], src + static_cast<size_t>(y) * stride, row);
  gst_video_frame_unmap(&frame);
  return image;
}

}  // namespace

amused::Image read_mask_picture(const std::string &path, std::string *error) {
  if (!g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR)) {
    *error = path + ": no such file";
    return {};
  }
  // A small pipeline of its own: the picture decoded to RGBA, held at preroll.
  GError *parse_error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "filesrc name=file ! decodebin ! videoconvert ! video/x-raw,format=RGBA ! "
      "appsink name=sink sync=false",
      &parse_error);
  if (!pipeline) {
    *error = std::string("cannot decode pictures: ") +
             (parse_error ? parse_error->message : "no pipeline");
    if (parse_error) g_error_free(parse_error);
    return {};
  }
  GstElement *file = gst_bin_get_by_name(GST_BIN(pipeline), "file");
  g_object_set(file, "location", path.c_str(), nullptr);
  gst_object_unref(file);
  amused::Image image;
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  if (gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) ==
      GST_STATE_CHANGE_SUCCESS) {
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstSample *sample = nullptr;
    g_signal_emit_by_name(sink, "pull-preroll", &sample);
    gst_object_unref(sink);
    if (sample) {
      image = rgba_from_sample(sample);
      gst_sample_unref(sample);
    }
  }
  if (image.empty())
    *error = path + ": not a picture GStreamer can decode (PNG, JPEG, ...): " + bus_error(pipeline);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (image.empty()) return {};
  try {
    return amused::mask_from_rgba(image);
  } catch (const std::exception &e) {
    *error = path + ": " + e.what();
    return {};
  }
}

}  // namespace gst_amused
