/* gst-amused: amusedstylize, restyles video frames with the aMUSEd masked image model. */
#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_AMUSED_STYLIZE (gst_amused_stylize_get_type())
G_DECLARE_FINAL_TYPE(GstAmusedStylize, gst_amused_stylize, GST, AMUSED_STYLIZE, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(amusedstylize);

G_END_DECLS
