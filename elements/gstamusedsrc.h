/* gst-amused: amusedsrc, text to video with the aMUSEd masked image model. */
#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_AMUSED_SRC (gst_amused_src_get_type())
G_DECLARE_FINAL_TYPE(GstAmusedSrc, gst_amused_src, GST, AMUSED_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(amusedsrc);

G_END_DECLS
