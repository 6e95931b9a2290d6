/* gst-amused: the "amused" plugin, registering amusedsrc and amusedstylize. */
#include <gst/gst.h>

#include "amused_build_config.h"
#include "elements/gstamusedmeta.h"
#include "elements/gstamusedsrc.h"
#include "elements/gstamusedstylize.h"

static gboolean plugin_init(GstPlugin *plugin) {
  // The meta API exists as soon as the plugin is loaded, so applications can look it up.
  gst_amused_meta_get_info();
  gst_amused_frame_info_meta_get_info();
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER(amusedsrc, plugin);
  ret |= GST_ELEMENT_REGISTER(amusedstylize, plugin);
  return ret;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, amused,
                  "aMUSEd masked image model: text-to-video source and video stylization",
                  plugin_init, AMUSED_VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
