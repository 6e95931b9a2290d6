/* gst-amused: reading amusedstylize's mask picture through GStreamer.
 *
 * The picture (PNG, or any image GStreamer decodes) is decoded by GStreamer itself, in a
 * small pipeline of its own (decodebin, videoconvert, appsink), so the plugin links no
 * image library; the engine turns its RGBA pixels into a mask by the same rule as the
 * command line (amused::mask_from_rgba).
 */
#pragma once

#include <gst/gst.h>

#include <string>

#include "amused.h"

namespace gst_amused {

// The 1-channel mask in the picture at `path`; on failure an empty Image and `error`
// receives a message naming the path and the reason.
amused::Image read_mask_picture(const std::string &path, std::string *error);

}  // namespace gst_amused
