/* gst-amused: GEnums shared by amusedsrc and amusedstylize. */
#include "gstamusedenums.h"

GType gst_amused_camera_motion_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_AMUSED_CAMERA_MOTION_NONE, "Static camera", "none"},
      {GST_AMUSED_CAMERA_MOTION_PAN_LEFT, "Pan left (content moves right)", "pan-left"},
      {GST_AMUSED_CAMERA_MOTION_PAN_RIGHT, "Pan right (content moves left)", "pan-right"},
      {GST_AMUSED_CAMERA_MOTION_PAN_UP, "Tilt up (content moves down)", "pan-up"},
      {GST_AMUSED_CAMERA_MOTION_PAN_DOWN, "Tilt down (content moves up)", "pan-down"},
      {GST_AMUSED_CAMERA_MOTION_ZOOM_IN, "Zoom in", "zoom-in"},
      {GST_AMUSED_CAMERA_MOTION_ZOOM_OUT, "Zoom out", "zoom-out"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstAmusedCameraMotion", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_amused_cross_frame_attention_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_AMUSED_CROSS_FRAME_ATTENTION_NONE, "Each frame attends to itself only", "none"},
      {GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST, "Also attend to the anchor (first) frame", "first"},
      {GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST_AND_PREVIOUS,
       "Also attend to the anchor and the previous frame", "first-and-previous"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstAmusedCrossFrameAttention", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_amused_precision_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_AMUSED_PRECISION_FP32, "float32 (reference numerics)", "fp32"},
      {GST_AMUSED_PRECISION_BF16, "bfloat16 text encoder and transformer", "bf16"},
      {GST_AMUSED_PRECISION_INT8, "int8 transformer linear layers", "int8"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstAmusedPrecision", values);
    g_once_init_leave(&type, t);
  }
  return type;
}
