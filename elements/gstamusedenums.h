/* gst-amused: GEnums shared by amusedsrc and amusedstylize.
 *
 * The values mirror amused::CameraMotion, amused::CrossFrameAttention and
 * amused::Precision; the nicks are what gst-launch-1.0 accepts
 * (camera-motion=pan-left, cross-frame-attention=first-and-previous).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstAmusedCameraMotion:
 * @GST_AMUSED_CAMERA_MOTION_NONE: static camera
 * @GST_AMUSED_CAMERA_MOTION_PAN_LEFT: the camera pans left (content moves right)
 * @GST_AMUSED_CAMERA_MOTION_PAN_RIGHT: the camera pans right (content moves left)
 * @GST_AMUSED_CAMERA_MOTION_PAN_UP: the camera tilts up (content moves down)
 * @GST_AMUSED_CAMERA_MOTION_PAN_DOWN: the camera tilts down (content moves up)
 * @GST_AMUSED_CAMERA_MOTION_ZOOM_IN: the camera zooms in
 * @GST_AMUSED_CAMERA_MOTION_ZOOM_OUT: the camera zooms out
 */
typedef enum {
  GST_AMUSED_CAMERA_MOTION_NONE,
  GST_AMUSED_CAMERA_MOTION_PAN_LEFT,
  GST_AMUSED_CAMERA_MOTION_PAN_RIGHT,
  GST_AMUSED_CAMERA_MOTION_PAN_UP,
  GST_AMUSED_CAMERA_MOTION_PAN_DOWN,
  GST_AMUSED_CAMERA_MOTION_ZOOM_IN,
  GST_AMUSED_CAMERA_MOTION_ZOOM_OUT,
} GstAmusedCameraMotion;

/**
 * GstAmusedCrossFrameAttention:
 * @GST_AMUSED_CROSS_FRAME_ATTENTION_NONE: each frame attends to itself only
 * @GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST: ... and to the anchor (first) frame
 * @GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST_AND_PREVIOUS: ... and to the anchor and the
 *   previous frame
 */
typedef enum {
  GST_AMUSED_CROSS_FRAME_ATTENTION_NONE,
  GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST,
  GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST_AND_PREVIOUS,
} GstAmusedCrossFrameAttention;

/**
 * GstAmusedPrecision:
 * @GST_AMUSED_PRECISION_FP32: float32 everywhere (the reference numerics)
 * @GST_AMUSED_PRECISION_BF16: bfloat16 text encoder and transformer (fast on processors
 *   with AVX-512 BF16 or AMX)
 * @GST_AMUSED_PRECISION_INT8: int8 linear layers in the transformer (fast on processors with
 *   VNNI or AMX)
 */
typedef enum {
  GST_AMUSED_PRECISION_FP32,
  GST_AMUSED_PRECISION_BF16,
  GST_AMUSED_PRECISION_INT8,
} GstAmusedPrecision;

#define GST_TYPE_AMUSED_CAMERA_MOTION (gst_amused_camera_motion_get_type())
GType gst_amused_camera_motion_get_type(void);

#define GST_TYPE_AMUSED_CROSS_FRAME_ATTENTION (gst_amused_cross_frame_attention_get_type())
GType gst_amused_cross_frame_attention_get_type(void);

#define GST_TYPE_AMUSED_PRECISION (gst_amused_precision_get_type())
GType gst_amused_precision_get_type(void);

G_END_DECLS
