/* gst-amused: amusedsrc, text to video with the aMUSEd masked image model. */

/**
 * SECTION:element-amusedsrc
 * @title: amusedsrc
 *
 * Generates video from a text prompt with the aMUSEd masked image model (CLIP text
 * encoder, U-ViT transformer over VQ-GAN tokens, MaskGIT-style parallel decoding). The
 * first frame is generated from scratch; every following frame starts from the previous
 * frame's tokens moved by the camera (#GstAmusedSrc:camera-motion), so only the revealed
 * tokens and a #GstAmusedSrc:remask-boundary band around them are sampled again, attending
 * to the first frame (#GstAmusedSrc:cross-frame-attention). The background stays still
 * and frames after the first cost a fraction of it.
 *
 * Frames are RGB at the model's native size unless downstream asks for another size the
 * model supports (width and height multiples of its token size). Timestamps follow the
 * negotiated framerate (8/1 by default); the stream ends after #GstBaseSrc:num-buffers.
 *
 * #GstAmusedSrc:prompt, #GstAmusedSrc:negative-prompt and #GstAmusedSrc:guidance-scale may
 * change while PLAYING; they apply from the next frame (which becomes a new anchor). The
 * model is loaded when the element goes to PAUSED, followed by a short warm-up pass so the
 * first frame is not an outlier. Every buffer carries a #GstAmusedMeta (seed, steps, prompt
 * hash, generation time). LATENCY queries are answered with the slowest of the recent
 * frames, and a LATENCY message is posted when that rises by a fifth or halves.
 *
 * Seeking is only supported to the start of the stream: frame k is generated from frame
 * k - 1, so there is no way to jump to a later frame without generating the ones before.
 * Other seeks are refused before anything is flushed, so the stream goes on undisturbed.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e amusedsrc prompt="a lighthouse on a cliff at dusk" camera-motion=pan-right
 * motion-speed=2 num-buffers=48 ! videoconvert ! avenc_mpeg4 ! mp4mux ! filesink
 * location=lighthouse.mp4
 * ]|
 */

#include "gstamusedsrc.h"

#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "amused.h"
#include "gstamusedcommon.h"
#include "gstamusedenums.h"
#include "gstamusedmeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_amused_src_debug);
#define GST_CAT_DEFAULT gst_amused_src_debug

using namespace gst_amused;

static_assert(static_cast<int>(GST_AMUSED_CAMERA_MOTION_ZOOM_OUT) ==
                  static_cast<int>(amused::CameraMotion::kZoomOut),
              "GstAmusedCameraMotion mirrors amused::CameraMotion");
static_assert(static_cast<int>(GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST_AND_PREVIOUS) ==
                  static_cast<int>(amused::CrossFrameAttention::kFirstAndPrevious),
              "GstAmusedCrossFrameAttention mirrors amused::CrossFrameAttention");

enum {
  PROP_CAMERA_MOTION = PROP_COMMON_LAST,
  PROP_MOTION_SPEED,
  PROP_KEYFRAME_INTERVAL,
  PROP_IS_LIVE,
};

#define DEFAULT_CAMERA_MOTION GST_AMUSED_CAMERA_MOTION_NONE
#define DEFAULT_MOTION_SPEED 2.0
#define MAX_MOTION_SPEED 512.0
#define DEFAULT_KEYFRAME_INTERVAL 0
#define DEFAULT_IS_LIVE FALSE
#define DEFAULT_FPS_N 8
#define DEFAULT_FPS_D 1

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) RGB, width = (int) [ 1, 4096 ], "
                    "height = (int) [ 1, 4096 ], "
                    "framerate = (fraction) [ 1/2147483647, 2147483647/1 ]"));

namespace {

// Everything the element keeps, behind one pointer so the GObject instance stays C.
struct SrcState {
  // Properties and statistics: object lock.
  Settings settings;
  GstAmusedCameraMotion camera_motion = DEFAULT_CAMERA_MOTION;
  gdouble motion_speed = DEFAULT_MOTION_SPEED;
  gint keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
  FrameTimes times;

  // Calls `f` with the element's own plain properties (set/get_field_property).
  template <typename F>
  gboolean with_fields(F &&f) {
    return f(field_property(PROP_CAMERA_MOTION, camera_motion),
             field_property(PROP_MOTION_SPEED, motion_speed),
             field_property(PROP_KEYFRAME_INTERVAL, keyframe_interval));
  }

  // Negotiated format: object lock (written by set_caps in the streaming thread).
  GstVideoInfo info;
  bool have_info = false;

  // The loaded model and what it can make: set in start(), cleared in stop(); read by
  // get_caps/fixate under the object lock.
  std::shared_ptr<const amused::Model> model;
  int native_width = 0, native_height = 0, size_step = 0, max_size = 0;

  // Streaming thread only.
  std::unique_ptr<amused::VideoSession> session;
  gint64 n_frames = 0;            // frames since the last caps (or seek)
  gint64 accum_frames = 0;        // frames before that
  GstClockTime accum_rtime = 0;   // running time before that
  GstClockTime running_time = 0;  // start of the next frame, relative to accum_rtime
  gboolean error_posted = FALSE;

  // Interruption: unlock() sets the flag (checked by the engine between steps) and wakes a
  // live source waiting for its slot; unlock_stop() clears it.
  std::atomic<bool> cancel{false};
  GstClockID clock_id = nullptr;  // object lock
};

}  // namespace

struct _GstAmusedSrc {
  GstPushSrc parent;
  SrcState *state;
};

#define gst_amused_src_parent_class parent_class
G_DEFINE_TYPE(GstAmusedSrc, gst_amused_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(amusedsrc, "amusedsrc", GST_RANK_NONE, GST_TYPE_AMUSED_SRC,
                                      GST_DEBUG_CATEGORY_INIT(gst_amused_src_debug, "amusedsrc", 0,
                                                              "aMUSEd text-to-video source"));

static void gst_amused_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec);
static void gst_amused_src_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec);
static void gst_amused_src_finalize(GObject *object);
static GstCaps *gst_amused_src_get_caps(GstBaseSrc *bsrc, GstCaps *filter);
static gboolean gst_amused_src_negotiate(GstBaseSrc *bsrc);
static GstCaps *gst_amused_src_fixate(GstBaseSrc *bsrc, GstCaps *caps);
static gboolean gst_amused_src_set_caps(GstBaseSrc *bsrc, GstCaps *caps);
static gboolean gst_amused_src_decide_allocation(GstBaseSrc *bsrc, GstQuery *query);
static gboolean gst_amused_src_start(GstBaseSrc *bsrc);
static gboolean gst_amused_src_stop(GstBaseSrc *bsrc);
static gboolean gst_amused_src_unlock(GstBaseSrc *bsrc);
static gboolean gst_amused_src_unlock_stop(GstBaseSrc *bsrc);
static gboolean gst_amused_src_is_seekable(GstBaseSrc *bsrc);
static gboolean gst_amused_src_do_seek(GstBaseSrc *bsrc, GstSegment *segment);
static gboolean gst_amused_src_event(GstBaseSrc *bsrc, GstEvent *event);
static gboolean gst_amused_src_query(GstBaseSrc *bsrc, GstQuery *query);
static GstFlowReturn gst_amused_src_fill(GstPushSrc *psrc, GstBuffer *buffer);

static void gst_amused_src_class_init(GstAmusedSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS(klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_amused_src_set_property;
  gobject_class->get_property = gst_amused_src_get_property;
  gobject_class->finalize = gst_amused_src_finalize;

  install_common_properties(gobject_class);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_CAMERA_MOTION,
      g_param_spec_enum("camera-motion", "Camera motion",
                        "How the camera moves from frame to frame; only the revealed part of "
                        "the scene is generated. Changes apply from the next frame",
                        GST_TYPE_AMUSED_CAMERA_MOTION, DEFAULT_CAMERA_MOTION, playing));
  g_object_class_install_property(
      gobject_class, PROP_MOTION_SPEED,
      g_param_spec_double("motion-speed", "Motion speed",
                          "Camera speed in pixels per frame (per side for zooms); fractional "
                          "speeds accumulate. Changes apply from the next frame; controllable "
                          "(GstController), synced at each frame's timestamp",
                          0.0, MAX_MOTION_SPEED, DEFAULT_MOTION_SPEED,
                          static_cast<GParamFlags>(playing | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_int("keyframe-interval", "Keyframe interval",
                       "Every N frames re-sample a random tenth of the tokens so a static scene "
                       "keeps some life (0 = never). Changes apply from the next frame",
                       0, G_MAXINT, DEFAULT_KEYFRAME_INTERVAL, playing));
  g_object_class_install_property(
      gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean("is-live", "Is live",
                           "Act as a live source: produce only in PLAYING, generate each frame "
                           "when its slot on the clock begins, and skip slots that passed while "
                           "a frame was generating (counted in frames-skipped)",
                           DEFAULT_IS_LIVE,
                           static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY)));

  gst_element_class_set_static_metadata(
      element_class, "aMUSEd video source", "Source/Video",
      "Generates video from a text prompt with the aMUSEd masked image model, keeping the "
      "background consistent across frames",
      "gst-amused developers");
  gst_element_class_add_static_pad_template(element_class, &src_template);

  basesrc_class->get_caps = GST_DEBUG_FUNCPTR(gst_amused_src_get_caps);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR(gst_amused_src_negotiate);
  basesrc_class->fixate = GST_DEBUG_FUNCPTR(gst_amused_src_fixate);
  basesrc_class->set_caps = GST_DEBUG_FUNCPTR(gst_amused_src_set_caps);
  basesrc_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_amused_src_decide_allocation);
  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_amused_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_amused_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR(gst_amused_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_amused_src_unlock_stop);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR(gst_amused_src_is_seekable);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR(gst_amused_src_do_seek);
  basesrc_class->event = GST_DEBUG_FUNCPTR(gst_amused_src_event);
  basesrc_class->query = GST_DEBUG_FUNCPTR(gst_amused_src_query);
  pushsrc_class->fill = GST_DEBUG_FUNCPTR(gst_amused_src_fill);

  gst_type_mark_as_plugin_api(GST_TYPE_AMUSED_CAMERA_MOTION, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_AMUSED_CROSS_FRAME_ATTENTION,
                              static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_AMUSED_PRECISION, static_cast<GstPluginAPIFlags>(0));
}

static void gst_amused_src_init(GstAmusedSrc *self) {
  self->state = new SrcState();
  gst_video_info_init(&self->state->info);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), DEFAULT_IS_LIVE);
}

static void gst_amused_src_finalize(GObject *object) {
  GstAmusedSrc *self = GST_AMUSED_SRC(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_amused_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec) {
  GstAmusedSrc *self = GST_AMUSED_SRC(object);
  SrcState &st = *self->state;
  if (set_common_property(GST_ELEMENT(self), st.settings, prop_id, value, pspec) ||
      st.with_fields([&](auto... fields) {
        return set_field_property(GST_ELEMENT(self), prop_id, value, fields...);
      }))
    return;

  switch (prop_id) {
    case PROP_IS_LIVE:
      if (!refuse_while_started(GST_ELEMENT(self), st.settings, pspec))
        gst_base_src_set_live(GST_BASE_SRC(self), g_value_get_boolean(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_amused_src_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec) {
  GstAmusedSrc *self = GST_AMUSED_SRC(object);
  SrcState &st = *self->state;
  if (get_common_property(GST_ELEMENT(self), st.settings, st.times, prop_id, value) ||
      st.with_fields([&](auto... fields) {
        return get_field_property(GST_ELEMENT(self), prop_id, value, fields...);
      }))
    return;

  switch (prop_id) {
    case PROP_IS_LIVE:
      g_value_set_boolean(value, gst_base_src_is_live(GST_BASE_SRC(self)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

// ---------------------------------------------------------------------------------------
// Caps

// Once the model is loaded: RGB at any multiple of its token size up to 4096.
static GstCaps *gst_amused_src_get_caps(GstBaseSrc *bsrc, GstCaps *filter) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  GST_OBJECT_LOCK(self);
  const int step = self->state->size_step, max_size = self->state->max_size;
  GST_OBJECT_UNLOCK(self);

  GstCaps *caps;
  if (step <= 0) {
    caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bsrc));
  } else {
    caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGB", "framerate",
                               GST_TYPE_FRACTION_RANGE, 1, G_MAXINT, G_MAXINT, 1, nullptr);
    GValue range = G_VALUE_INIT;
    g_value_init(&range, GST_TYPE_INT_RANGE);
    gst_value_set_int_range_step(&range, step, max_size, step);
    gst_caps_set_value(caps, "width", &range);
    gst_caps_set_value(caps, "height", &range);
    g_value_unset(&range);
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = tmp;
  }
  return caps;
}

// The default negotiation only says "not-negotiated"; say which size was refused.
static gboolean gst_amused_src_negotiate(GstBaseSrc *bsrc) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  st.error_posted = FALSE;
  if (GST_BASE_SRC_CLASS(parent_class)->negotiate(bsrc)) return TRUE;
  if (st.error_posted) return FALSE;

  GstCaps *peer = gst_pad_peer_query_caps(GST_BASE_SRC_PAD(bsrc), nullptr);
  gchar *peer_str = peer ? gst_caps_to_string(peer) : g_strdup("nothing");
  GST_OBJECT_LOCK(self);
  const int step = st.size_step, max_size = st.max_size, nw = st.native_width,
            nh = st.native_height;
  GST_OBJECT_UNLOCK(self);
  GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                    ("Downstream accepts only %s, but this model makes RGB frames whose width "
                     "and height are multiples of %d pixels up to %d (native %dx%d), at a "
                     "framerate above 0",
                     peer_str, step, max_size, nw, nh),
                    ("no intersection between the model's sizes and downstream caps"));
  g_free(peer_str);
  if (peer) gst_caps_unref(peer);
  return FALSE;
}

static GstCaps *gst_amused_src_fixate(GstBaseSrc *bsrc, GstCaps *caps) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  GST_OBJECT_LOCK(self);
  const int nw = self->state->native_width, nh = self->state->native_height;
  GST_OBJECT_UNLOCK(self);

  caps = gst_caps_make_writable(caps);
  caps = gst_caps_truncate(caps);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  gst_structure_fixate_field_nearest_int(s, "width", nw > 0 ? nw : 256);
  gst_structure_fixate_field_nearest_int(s, "height", nh > 0 ? nh : 256);
  gst_structure_fixate_field_nearest_fraction(s, "framerate", DEFAULT_FPS_N, DEFAULT_FPS_D);
  if (gst_structure_has_field(s, "pixel-aspect-ratio"))
    gst_structure_fixate_field_nearest_fraction(s, "pixel-aspect-ratio", 1, 1);
  return GST_BASE_SRC_CLASS(parent_class)->fixate(bsrc, caps);
}

static gboolean gst_amused_src_set_caps(GstBaseSrc *bsrc, GstCaps *caps) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps) || info.finfo->format != GST_VIDEO_FORMAT_RGB) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cannot produce %" GST_PTR_FORMAT, caps),
                      ("only RGB video/x-raw is supported"));
    st.error_posted = TRUE;
    return FALSE;
  }
  if (info.fps_n <= 0 || info.fps_d <= 0) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Framerate %d/%d is not supported: amusedsrc needs a fixed framerate "
                       "above 0 to timestamp its frames",
                       info.fps_n, info.fps_d),
                      (nullptr));
    st.error_posted = TRUE;
    return FALSE;
  }
  if (st.model) {
    try {
      amused::check_size(*st.model, info.width, info.height);
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                        ("Size %dx%d is not supported: %s", info.width, info.height, e.what()),
                        (nullptr));
      st.error_posted = TRUE;
      return FALSE;
    }
  }

  GST_OBJECT_LOCK(self);
  // Keep timestamps monotonic across renegotiation (videotestsrc's accumulator).
  if (st.have_info && st.info.fps_n > 0) {
    st.accum_rtime += st.running_time;
    st.accum_frames += st.n_frames;
  }
  st.running_time = 0;
  st.n_frames = 0;
  st.info = info;
  st.have_info = true;
  GST_OBJECT_UNLOCK(self);
  GST_DEBUG_OBJECT(self, "negotiated %dx%d at %d/%d fps", info.width, info.height, info.fps_n,
                   info.fps_d);
  return TRUE;
}

static gboolean gst_amused_src_decide_allocation(GstBaseSrc *bsrc, GstQuery *query) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  GstBufferPool *pool = nullptr;
  guint size, min, max;
  gboolean update;
  GST_OBJECT_LOCK(self);
  const guint frame_size = static_cast<guint>(GST_VIDEO_INFO_SIZE(&self->state->info));
  GST_OBJECT_UNLOCK(self);

  if (gst_query_get_n_allocation_pools(query) > 0) {
    gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
    size = MAX(size, frame_size);
    update = TRUE;
  } else {
    size = frame_size;
    min = max = 0;
    update = FALSE;
  }
  if (!pool) pool = gst_video_buffer_pool_new();

  GstStructure *config = gst_buffer_pool_get_config(pool);
  GstCaps *caps = nullptr;
  gst_query_parse_allocation(query, &caps, nullptr);
  if (caps) gst_buffer_pool_config_set_params(config, caps, size, min, max);
  if (gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr))
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_set_config(pool, config);

  if (update)
    gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool(query, pool, size, min, max);
  gst_object_unref(pool);
  return GST_BASE_SRC_CLASS(parent_class)->decide_allocation(bsrc, query);
}

// ---------------------------------------------------------------------------------------
// Start/stop, interruption, seeking, queries

// The engine parameters for one frame, from a snapshot of the settings (object lock held).
static amused::VideoParams make_params(const SrcState &st, int width, int height) {
  amused::VideoParams p;
  p.generate = generate_params(st.settings);
  p.generate.width = width;
  p.generate.height = height;
  p.consistency = consistency_params(st.settings);
  p.camera_motion = static_cast<amused::CameraMotion>(st.camera_motion);
  p.motion_speed = st.motion_speed;
  p.keyframe_interval = st.keyframe_interval;
  return p;
}

static gboolean gst_amused_src_start(GstBaseSrc *bsrc) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;

  GST_OBJECT_LOCK(self);
  st.settings.started = TRUE;  // model, device and precision are fixed from here on
  Settings settings = st.settings;
  amused::VideoParams params = make_params(st, 0, 0);
  st.times.reset();
  st.have_info = false;
  gst_video_info_init(&st.info);
  GST_OBJECT_UNLOCK(self);

  st.cancel = false;
  st.n_frames = st.accum_frames = 0;
  st.running_time = st.accum_rtime = 0;

  auto model = acquire_model(GST_ELEMENT(self), settings);
  if (!model) goto failed;
  try {
    const amused::ModelInfo info = amused::describe(*model);
    GST_OBJECT_LOCK(self);
    st.model = model;
    st.native_width = info.native_width;
    st.native_height = info.native_height;
    st.size_step = info.size_multiple;
    st.max_size = info.max_size;
    GST_OBJECT_UNLOCK(self);
    st.session = std::make_unique<amused::VideoSession>(model);
    // At the native size: the negotiated one is not known yet.
    const amused::FrameEstimate estimate = amused::warm_up(
        model, params,
        frame_control(GST_ELEMENT(self), GST_CAT_DEFAULT, &st.cancel, settings.threads));
    GST_INFO_OBJECT(self, "warm-up: %.1f ms per step, %.1f ms per decode; frame estimate %.1f ms",
                    estimate.step_seconds * 1e3, estimate.decode_seconds * 1e3,
                    estimate.frame_seconds * 1e3);
    GST_OBJECT_LOCK(self);
    st.times.set_estimate(estimate.frame_seconds);
    GST_OBJECT_UNLOCK(self);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Warm-up generation failed: %s", e.what()),
                      ("model=%s", settings.model.c_str()));
    goto failed;
  }
  return TRUE;

failed:
  gst_amused_src_stop(bsrc);
  return FALSE;
}

static gboolean gst_amused_src_stop(GstBaseSrc *bsrc) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  st.session.reset();
  GST_OBJECT_LOCK(self);
  auto model = std::move(st.model);
  st.model.reset();
  st.size_step = st.max_size = st.native_width = st.native_height = 0;
  st.have_info = false;
  st.settings.started = FALSE;
  GST_OBJECT_UNLOCK(self);
  model.reset();  // the cache drops the weights when no other element holds them
  // Also the blocks its frames' tensors used, which the engine keeps for reuse (amused.h).
  amused::release_recycled_cpu_memory();
  return TRUE;
}

static gboolean gst_amused_src_unlock(GstBaseSrc *bsrc) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  GST_DEBUG_OBJECT(self, "unlock: cancelling the frame in progress");
  GST_OBJECT_LOCK(self);
  st.cancel = true;
  if (st.clock_id) gst_clock_id_unschedule(st.clock_id);
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_amused_src_unlock_stop(GstBaseSrc *bsrc) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  GST_OBJECT_LOCK(self);
  self->state->cancel = false;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_amused_src_is_seekable(GstBaseSrc *) { return TRUE; }

// Only the start of the stream: frame k is generated from frame k - 1.
static gboolean gst_amused_src_do_seek(GstBaseSrc *bsrc, GstSegment *segment) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  if (segment->rate < 0.0 || (segment->position != 0 && segment->start != 0)) {
    GST_WARNING_OBJECT(self,
                       "cannot seek to %" GST_TIME_FORMAT
                       ": generation is sequential, only seeking to 0 (restart) is supported",
                       GST_TIME_ARGS(segment->start));
    return FALSE;
  }
  segment->time = segment->start;
  segment->position = 0;
  GST_OBJECT_LOCK(self);
  st.n_frames = st.accum_frames = 0;
  st.running_time = st.accum_rtime = 0;
  GST_OBJECT_UNLOCK(self);
  if (st.session) st.session->reset();
  return TRUE;
}

// Refuses seeks other than to the start before the base class acts on them: it flushes
// first and asks do_seek() afterwards, and after a refused flushing seek its streaming
// thread would resume without a new segment ("data flow before segment event").
static gboolean gst_amused_src_event(GstBaseSrc *bsrc, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEEK) {
    gdouble rate;
    GstSeekType start_type, stop_type;
    gint64 start, stop;
    gst_event_parse_seek(event, &rate, nullptr, nullptr, &start_type, &start, &stop_type, &stop);
    const bool restart = rate > 0.0 && (start_type == GST_SEEK_TYPE_NONE ||
                                        (start_type == GST_SEEK_TYPE_SET && start == 0));
    if (!restart) {
      GST_WARNING_OBJECT(bsrc,
                         "refusing %" GST_PTR_FORMAT
                         ": generation is sequential, only seeking to 0 (restart) is supported",
                         event);
      return FALSE;
    }
  }
  return GST_BASE_SRC_CLASS(parent_class)->event(bsrc, event);
}

static gboolean gst_amused_src_query(GstBaseSrc *bsrc, GstQuery *query) {
  GstAmusedSrc *self = GST_AMUSED_SRC(bsrc);
  SrcState &st = *self->state;
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_LATENCY: {
      GstClockTime min, max;
      GST_OBJECT_LOCK(self);
      const bool known = st.times.has_estimate();
      if (known) st.times.report(&min, &max);
      GST_OBJECT_UNLOCK(self);
      if (!known) break;  // before start(): the base class answers
      GST_DEBUG_OBJECT(self, "latency: min %" GST_TIME_FORMAT " max %" GST_TIME_FORMAT,
                       GST_TIME_ARGS(min), GST_TIME_ARGS(max));
      gst_query_set_latency(query, gst_base_src_is_live(bsrc), min, max);
      return TRUE;
    }
    case GST_QUERY_DURATION: {
      GstFormat format;
      gst_query_parse_duration(query, &format, nullptr);
      const gint num_buffers = bsrc->num_buffers;
      GST_OBJECT_LOCK(self);
      const GstVideoInfo info = st.info;
      const bool have_info = st.have_info;
      GST_OBJECT_UNLOCK(self);
      if (num_buffers < 0) break;
      if (format == GST_FORMAT_DEFAULT) {
        gst_query_set_duration(query, format, num_buffers);
        return TRUE;
      }
      if (format == GST_FORMAT_TIME && have_info && info.fps_n > 0) {
        gst_query_set_duration(
            query, format, gst_util_uint64_scale(num_buffers, info.fps_d * GST_SECOND, info.fps_n));
        return TRUE;
      }
      break;
    }
    case GST_QUERY_CONVERT: {
      GstFormat src_fmt, dest_fmt;
      gint64 src_val, dest_val;
      GST_OBJECT_LOCK(self);
      const GstVideoInfo info = st.info;
      const bool have_info = st.have_info;
      GST_OBJECT_UNLOCK(self);
      if (!have_info) break;
      gst_query_parse_convert(query, &src_fmt, &src_val, &dest_fmt, nullptr);
      if (!gst_video_info_convert(const_cast<GstVideoInfo *>(&info), src_fmt, src_val, dest_fmt,
                                  &dest_val))
        return FALSE;
      gst_query_set_convert(query, src_fmt, src_val, dest_fmt, dest_val);
      return TRUE;
    }
    default:
      break;
  }
  return GST_BASE_SRC_CLASS(parent_class)->query(bsrc, query);
}

// ---------------------------------------------------------------------------------------
// Streaming

// Live: frame slots whose time has passed while the previous frame was generating are
// skipped (counted, and reported in a QoS message), then the element waits until its slot
// begins, like a camera that captures at that moment; the time generation takes is the
// latency it reports. Returns FLUSHING when unlocked.
static GstFlowReturn wait_for_slot(GstAmusedSrc *self, const GstVideoInfo &info) {
  SrcState &st = *self->state;
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock) return GST_FLOW_OK;
  const GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(self));
  const GstClockTime now = gst_clock_get_time(clock);
  const GstClockTime now_rt = now > base_time ? now - base_time : 0;

  const GstClockTime slot_start = st.accum_rtime + st.running_time;
  if (now_rt > slot_start) {
    const gint64 current =
        gst_util_uint64_scale(now_rt - st.accum_rtime, info.fps_n, info.fps_d * GST_SECOND);
    if (current > st.n_frames) {
      const gint64 skipped = current - st.n_frames;
      const GstClockTime first_skipped = slot_start;
      st.n_frames = current;
      st.running_time = gst_util_uint64_scale(st.n_frames, info.fps_d * GST_SECOND, info.fps_n);
      GST_OBJECT_LOCK(self);
      for (gint64 i = 0; i < skipped; ++i) st.times.record_skipped();
      const guint64 total_skipped = st.times.skipped();
      const guint64 processed = st.times.frames();
      GST_OBJECT_UNLOCK(self);
      GST_INFO_OBJECT(self,
                      "late: skipping %" G_GINT64_FORMAT " frame slot(s) from %" GST_TIME_FORMAT,
                      skipped, GST_TIME_ARGS(first_skipped));
      GstMessage *qos =
          gst_message_new_qos(GST_OBJECT(self), TRUE, first_skipped, first_skipped, first_skipped,
                              st.accum_rtime + st.running_time - first_skipped);
      gst_message_set_qos_values(qos, static_cast<gint64>(now_rt - first_skipped), 1.0, 1000000);
      gst_message_set_qos_stats(qos, GST_FORMAT_BUFFERS, processed, total_skipped);
      gst_element_post_message(GST_ELEMENT(self), qos);
    }
  }

  const GstClockTime target = st.accum_rtime + st.running_time;
  GstFlowReturn ret = GST_FLOW_OK;
  if (target > now_rt) {
    GST_OBJECT_LOCK(self);
    if (st.cancel) {
      GST_OBJECT_UNLOCK(self);
      gst_object_unref(clock);
      return GST_FLOW_FLUSHING;
    }
    st.clock_id = gst_clock_new_single_shot_id(clock, base_time + target);
    GstClockID id = gst_clock_id_ref(st.clock_id);
    GST_OBJECT_UNLOCK(self);
    const GstClockReturn cret = gst_clock_id_wait(id, nullptr);
    GST_OBJECT_LOCK(self);
    gst_clock_id_unref(st.clock_id);
    st.clock_id = nullptr;
    GST_OBJECT_UNLOCK(self);
    gst_clock_id_unref(id);
    if (cret == GST_CLOCK_UNSCHEDULED) ret = GST_FLOW_FLUSHING;
  }
  gst_object_unref(clock);
  return ret;
}

static GstFlowReturn gst_amused_src_fill(GstPushSrc *psrc, GstBuffer *buffer) {
  GstAmusedSrc *self = GST_AMUSED_SRC(psrc);
  SrcState &st = *self->state;

  // Controlled properties take their values at this frame's timestamp (a running time: the
  // stream starts at 0), then the frame adopts the settings proposed since the last one.
  gst_object_sync_values(GST_OBJECT(self), st.accum_rtime + st.running_time);
  GST_OBJECT_LOCK(self);
  if (!st.have_info || !st.session) {
    GST_OBJECT_UNLOCK(self);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, (nullptr), ("format wasn't negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  const GstVideoInfo info = st.info;
  const amused::VideoParams params = make_params(st, info.width, info.height);
  const gint threads = st.settings.threads;
  GST_OBJECT_UNLOCK(self);

  if (gst_base_src_is_live(GST_BASE_SRC(self))) {
    const GstFlowReturn ret = wait_for_slot(self, info);
    if (ret != GST_FLOW_OK) return ret;
  }

  amused::Frame frame;
  try {
    frame = st.session->generate_next(
        params, frame_control(GST_ELEMENT(self), GST_CAT_DEFAULT, &st.cancel, threads));
  } catch (const amused::Cancelled &) {
    GST_DEBUG_OBJECT(self, "frame cancelled");
    st.session->reset();
    return GST_FLOW_FLUSHING;
  } catch (const std::exception &e) {
    GST_AMUSED_POST_FRAME_ERROR(self, e.what());
    return GST_FLOW_ERROR;
  }
  if (frame.image.width != info.width || frame.image.height != info.height ||
      frame.image.channels != 3) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("The engine returned a frame of the wrong size"),
                      ("got %dx%dx%d, negotiated %dx%d", frame.image.width, frame.image.height,
                       frame.image.channels, info.width, info.height));
    return GST_FLOW_ERROR;
  }

  GstVideoFrame vframe;
  if (!gst_video_frame_map(&vframe, const_cast<GstVideoInfo *>(&info), buffer, GST_MAP_WRITE)) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, (nullptr), ("could not map the output buffer"));
    return GST_FLOW_ERROR;
  }
  const size_t row = static_cast<size_t>(info.width) * 3;
  auto *dst = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, 0));
  const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, 0);
  for (int y = 0; y < info.height; ++y)
    std::memcpy(dst + static_cast<size_t>(y) * stride, frame.image.pixels.data() + y * row, row);
  gst_video_frame_unmap(&vframe);

  // Timestamps from the frame counter (no drift), OFFSET = frame index.
  GST_BUFFER_PTS(buffer) = st.accum_rtime + st.running_time;
  GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer);
  GST_BUFFER_OFFSET(buffer) = st.accum_frames + st.n_frames;
  ++st.n_frames;
  GST_BUFFER_OFFSET_END(buffer) = GST_BUFFER_OFFSET(buffer) + 1;
  const GstClockTime next = gst_util_uint64_scale(st.n_frames, info.fps_d * GST_SECOND, info.fps_n);
  GST_BUFFER_DURATION(buffer) = next - st.running_time;
  st.running_time = next;

  set_frame_meta(buffer, params.generate, &frame.stats, static_cast<guint64>(frame.stats.index));

  GST_OBJECT_LOCK(self);
  const gboolean latency_changed = st.times.record(frame.stats.seconds);
  GST_OBJECT_UNLOCK(self);
  GST_LOG_OBJECT(self,
                 "frame %" G_GINT64_FORMAT " pts %" GST_TIME_FORMAT
                 ": %.1f ms, %d steps, %d/%d "
                 "tokens regenerated%s",
                 frame.stats.index, GST_TIME_ARGS(GST_BUFFER_PTS(buffer)),
                 frame.stats.seconds * 1e3, frame.stats.steps_run, frame.stats.tokens_regenerated,
                 frame.stats.tokens_total, frame.stats.keyframe ? " (keyframe)" : "");
  if (latency_changed) {
    GST_DEBUG_OBJECT(self, "per-frame time changed notably, posting LATENCY");
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  }
  return GST_FLOW_OK;
}
