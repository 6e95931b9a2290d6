/* gst-amused: amusedstylize, restyles video frames with the aMUSEd masked image model. */

/**
 * SECTION:element-amusedstylize
 * @title: amusedstylize
 *
 * Restyles each incoming frame with a text prompt: the frame is VQ-encoded into tokens, a
 * #GstAmusedStylize:strength fraction of them is masked and sampled again with the prompt,
 * and the tokens are decoded. Consecutive frames stay consistent: tokens whose source
 * pixels did not change (see #GstAmusedStylize:change-threshold) keep the previous
 * stylized token bit for bit, and every frame attends to the first one
 * (#GstAmusedStylize:cross-frame-attention). An optional PNG #GstAmusedStylize:mask limits
 * the restyling to a region; pixels outside it pass through unchanged.
 *
 * Any input size and any raw format GStreamer can convert are accepted, with no videoscale
 * or videoconvert needed around the element: the engine works at its native pixel count
 * times #GstAmusedStylize:work-scale, at the input's aspect ratio, and the result comes back
 * at the input's size and format (RGB passes through exactly outside the mask). Timestamps
 * pass through. strength=0 is passthrough.
 *
 * #GstAmusedStylize:prompt, #GstAmusedStylize:negative-prompt,
 * #GstAmusedStylize:guidance-scale and #GstAmusedStylize:strength may change while
 * PLAYING; they apply from the next frame. When a frame arrives late (QoS), its
 * regeneration is skipped: the previous stylized frame (or the input) is output, a QoS
 * message says so and #GstAmusedStylize:frames-skipped counts it. Every generated buffer
 * carries a #GstAmusedMeta.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=in.mp4 ! decodebin ! videoconvert ! amusedstylize prompt="an
 * oil painting, thick brush strokes" strength=0.6 ! videoconvert ! avenc_prores_ks ! qtmux !
 * filesink location=out.mov
 * ]|
 */

#include "gstamusedstylize.h"

#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "amused.h"
#include "gstamusedcommon.h"
#include "gstamusedenums.h"
#include "gstamusedmask.h"
#include "gstamusedmeta.h"
#include "gstamusedrgb.h"

GST_DEBUG_CATEGORY_STATIC(gst_amused_stylize_debug);
#define GST_CAT_DEFAULT gst_amused_stylize_debug

using namespace gst_amused;

enum {
  PROP_STRENGTH = PROP_COMMON_LAST,
  PROP_CHANGE_THRESHOLD,
  PROP_MASK,
  PROP_WORK_SCALE,
  PROP_NUM_BUFFERS,
};

#define DEFAULT_STRENGTH 0.5
#define DEFAULT_CHANGE_THRESHOLD 0.04
#define DEFAULT_MASK nullptr
#define DEFAULT_WORK_SCALE 1.0
#define DEFAULT_NUM_BUFFERS -1

// RGB first: what the engine works on, so negotiation prefers it over a conversion.
#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE("RGB") ";" GST_VIDEO_CAPS_MAKE(GST_VIDEO_FORMATS_ALL)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIDEO_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIDEO_CAPS));

namespace {

struct StylizeState {
  // Properties, statistics and QoS state: object lock.
  Settings settings;
  gdouble strength = DEFAULT_STRENGTH;
  gdouble change_threshold = DEFAULT_CHANGE_THRESHOLD;
  std::string mask_path;
  gdouble work_scale = DEFAULT_WORK_SCALE;
  gint num_buffers = DEFAULT_NUM_BUFFERS;
  FrameTimes times;
  GstClockTime earliest_time = GST_CLOCK_TIME_NONE;
  gdouble proportion = 1.0;

  // start() .. stop().
  std::shared_ptr<const amused::Model> model;
  amused::Image mask;  // the mask picture as read, 1 channel, any size

  // Streaming thread (set_info / transform_frame).
  int in_width = 0, in_height = 0;  // negotiated size
  RgbFrames rgb;                    // the negotiated format to and from RGB
  std::unique_ptr<amused::VideoSession> session;
  amused::Image last_output;  // the last stylized frame at the input size
  guint64 processed = 0;
  guint64 accepted = 0;  // input buffers let through since start or the last flush

  std::atomic<bool> cancel{false};

  // Calls `f` with the element's own plain properties (set/get_field_property).
  template <typename F>
  gboolean with_fields(F &&f) {
    return f(field_property(PROP_STRENGTH, strength),
             field_property(PROP_CHANGE_THRESHOLD, change_threshold),
             field_property(PROP_WORK_SCALE, work_scale),
             field_property(PROP_NUM_BUFFERS, num_buffers));
  }
};

}  // namespace

struct _GstAmusedStylize {
  GstVideoFilter parent;
  StylizeState *state;
};

#define gst_amused_stylize_parent_class parent_class
G_DEFINE_TYPE(GstAmusedStylize, gst_amused_stylize, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(amusedstylize, "amusedstylize", GST_RANK_NONE,
                                      GST_TYPE_AMUSED_STYLIZE,
                                      GST_DEBUG_CATEGORY_INIT(gst_amused_stylize_debug,
                                                              "amusedstylize", 0,
                                                              "aMUSEd video stylization"));

static void gst_amused_stylize_set_property(GObject *object, guint prop_id, const GValue *value,
                                            GParamSpec *pspec);
static void gst_amused_stylize_get_property(GObject *object, guint prop_id, GValue *value,
                                            GParamSpec *pspec);
static void gst_amused_stylize_finalize(GObject *object);
static GstStateChangeReturn gst_amused_stylize_change_state(GstElement *element,
                                                            GstStateChange transition);
static gboolean gst_amused_stylize_start(GstBaseTransform *trans);
static gboolean gst_amused_stylize_stop(GstBaseTransform *trans);
static gboolean gst_amused_stylize_sink_event(GstBaseTransform *trans, GstEvent *event);
static gboolean gst_amused_stylize_src_event(GstBaseTransform *trans, GstEvent *event);
static gboolean gst_amused_stylize_query(GstBaseTransform *trans, GstPadDirection direction,
                                         GstQuery *query);
static void gst_amused_stylize_before_transform(GstBaseTransform *trans, GstBuffer *buffer);
static GstFlowReturn gst_amused_stylize_submit_input_buffer(GstBaseTransform *trans,
                                                            gboolean is_discont, GstBuffer *input);
static gboolean gst_amused_stylize_set_info(GstVideoFilter *filter, GstCaps *incaps,
                                            GstVideoInfo *in_info, GstCaps *outcaps,
                                            GstVideoInfo *out_info);
static GstFlowReturn gst_amused_stylize_transform_frame(GstVideoFilter *filter,
                                                        GstVideoFrame *in_frame,
                                                        GstVideoFrame *out_frame);

static void gst_amused_stylize_class_init(GstAmusedStylizeClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_amused_stylize_set_property;
  gobject_class->get_property = gst_amused_stylize_get_property;
  gobject_class->finalize = gst_amused_stylize_finalize;

  install_common_properties(gobject_class);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_STRENGTH,
      g_param_spec_double(
          "strength", "Strength",
          "Fraction of the (changed) tokens that is masked and regenerated with "
          "the prompt: 0 = passthrough, 1 = regenerate everything. Changes apply "
          "from the next frame; controllable (GstController)",
          0.0, 1.0, DEFAULT_STRENGTH,
          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property(
      gobject_class, PROP_CHANGE_THRESHOLD,
      g_param_spec_double(
          "change-threshold", "Change threshold",
          "How different a token's source pixels must be from the previous "
          "frame's (mean absolute difference, 0..1 of full scale) for it to be "
          "regenerated; unchanged tokens keep their previous stylized value. "
          "Changes apply from the next frame; controllable (GstController)",
          0.0, 1.0, DEFAULT_CHANGE_THRESHOLD,
          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property(
      gobject_class, PROP_MASK,
      g_param_spec_string("mask", "Mask",
                          "Optional PNG: restyle only where it is white (grayscale, or the "
                          "alpha channel of an otherwise uniform image), any size (it is "
                          "scaled to the frame). Read when the element goes to PAUSED",
                          DEFAULT_MASK, static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_WORK_SCALE,
      g_param_spec_double("work-scale", "Work scale",
                          "The model works at this many times its native pixel count, at the "
                          "input's aspect ratio (1 = native; 2 = twice the pixels: more detail, "
                          "about twice the time per step). Changes apply from the next frame, "
                          "which starts a new anchor",
                          0.1, 16.0, DEFAULT_WORK_SCALE,
                          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_NUM_BUFFERS,
      g_param_spec_int("num-buffers", "Number of buffers",
                       "Restyle this many frames, then end the stream: later buffers are "
                       "refused with EOS, so upstream sends EOS (-1 = all). Counted from the "
                       "start and from each flushing seek",
                       -1, G_MAXINT, DEFAULT_NUM_BUFFERS,
                       static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_set_static_metadata(
      element_class, "aMUSEd video stylization", "Filter/Effect/Video",
      "Restyles video frames from a text prompt with the aMUSEd masked image model, keeping "
      "unchanged regions consistent across frames",
      "gst-amused developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  element_class->change_state = GST_DEBUG_FUNCPTR(gst_amused_stylize_change_state);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_amused_stylize_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_amused_stylize_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_amused_stylize_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR(gst_amused_stylize_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR(gst_amused_stylize_query);
  trans_class->before_transform = GST_DEBUG_FUNCPTR(gst_amused_stylize_before_transform);
  trans_class->submit_input_buffer = GST_DEBUG_FUNCPTR(gst_amused_stylize_submit_input_buffer);
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_amused_stylize_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR(gst_amused_stylize_transform_frame);

  gst_type_mark_as_plugin_api(GST_TYPE_AMUSED_CROSS_FRAME_ATTENTION,
                              static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_AMUSED_PRECISION, static_cast<GstPluginAPIFlags>(0));
}

static void gst_amused_stylize_init(GstAmusedStylize *self) {
  self->state = new StylizeState();
  // QoS is ours (skip regeneration, never drop): the base class only forwards QOS events.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_amused_stylize_finalize(GObject *object) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_amused_stylize_set_property(GObject *object, guint prop_id, const GValue *value,
                                            GParamSpec *pspec) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(object);
  StylizeState &st = *self->state;
  if (set_common_property(GST_ELEMENT(self), st.settings, prop_id, value, pspec) ||
      st.with_fields([&](auto... fields) {
        return set_field_property(GST_ELEMENT(self), prop_id, value, fields...);
      }))
    return;

  switch (prop_id) {
    case PROP_MASK: {
      if (refuse_while_started(GST_ELEMENT(self), st.settings, pspec)) break;
      const gchar *v = g_value_get_string(value);
      GST_OBJECT_LOCK(self);
      st.mask_path = v ? v : "";
      GST_OBJECT_UNLOCK(self);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_amused_stylize_get_property(GObject *object, guint prop_id, GValue *value,
                                            GParamSpec *pspec) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(object);
  StylizeState &st = *self->state;
  if (get_common_property(GST_ELEMENT(self), st.settings, st.times, prop_id, value) ||
      st.with_fields([&](auto... fields) {
        return get_field_property(GST_ELEMENT(self), prop_id, value, fields...);
      }))
    return;

  switch (prop_id) {
    case PROP_MASK:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, st.mask_path.empty() ? nullptr : st.mask_path.c_str());
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

// ---------------------------------------------------------------------------------------
// State, events, queries

// Going down from PAUSED, the pad deactivation waits for transform_frame to return: cancel
// the frame in progress first (the engine checks the flag between steps).
static GstStateChangeReturn gst_amused_stylize_change_state(GstElement *element,
                                                            GstStateChange transition) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(element);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    GST_DEBUG_OBJECT(self, "cancelling the frame in progress");
    self->state->cancel = true;
  }
  return GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
}

static amused::StylizeParams make_params(const StylizeState &st) {
  amused::StylizeParams p;
  p.generate = generate_params(st.settings);
  p.consistency = consistency_params(st.settings);
  p.strength = st.strength;
  p.change_threshold = st.change_threshold;
  p.work_scale = st.work_scale;
  return p;
}

static gboolean gst_amused_stylize_start(GstBaseTransform *trans) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  StylizeState &st = *self->state;

  GST_OBJECT_LOCK(self);
  st.settings.started = TRUE;
  const Settings settings = st.settings;
  const std::string mask_path = st.mask_path;
  const amused::StylizeParams params = make_params(st);
  st.times.reset();
  st.earliest_time = GST_CLOCK_TIME_NONE;
  st.proportion = 1.0;
  GST_OBJECT_UNLOCK(self);
  st.cancel = false;
  st.processed = 0;
  st.accepted = 0;
  st.in_width = st.in_height = 0;
  st.last_output = amused::Image();

  if (!mask_path.empty()) {
    std::string error;
    st.mask = read_mask_picture(mask_path, &error);
    if (st.mask.empty()) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                        ("Cannot read the mask '%s': %s", mask_path.c_str(), error.c_str()),
                        ("mask=%s", mask_path.c_str()));
      gst_amused_stylize_stop(trans);
      return FALSE;
    }
  }

  auto model = acquire_model(GST_ELEMENT(self), settings);
  if (!model) {
    gst_amused_stylize_stop(trans);
    return FALSE;
  }
  try {
    const amused::ModelInfo info = amused::describe(*model);
    st.model = model;
    // At the native size: the negotiated one is not known yet.
    const amused::FrameEstimate estimate = amused::warm_up(
        model, params, {info.native_width, info.native_height},
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
    gst_amused_stylize_stop(trans);
    return FALSE;
  }
  return TRUE;
}

static gboolean gst_amused_stylize_stop(GstBaseTransform *trans) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  StylizeState &st = *self->state;
  st.session.reset();
  st.model.reset();
  amused::release_recycled_cpu_memory();  // blocks kept for reuse between frames (amused.h)
  st.mask = st.last_output = amused::Image();
  st.rgb.reset();
  GST_OBJECT_LOCK(self);
  st.settings.started = FALSE;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_amused_stylize_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  StylizeState &st = *self->state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_START:
      // Not serialized: runs while transform_frame may be generating.
      st.cancel = true;
      break;
    case GST_EVENT_FLUSH_STOP:
      st.cancel = false;
      st.accepted = 0;
      if (st.session) st.session->reset();
      st.last_output = amused::Image();
      GST_OBJECT_LOCK(self);
      st.earliest_time = GST_CLOCK_TIME_NONE;
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

// QOS events are handled here and forwarded upstream without the base class seeing them:
// it would drop late buffers, where this element outputs a frame without regenerating.
static gboolean gst_amused_stylize_src_event(GstBaseTransform *trans, GstEvent *event) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos(event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK(self);
    self->state->proportion = proportion;
    if (GST_CLOCK_TIME_IS_VALID(timestamp)) {
      if (diff < 0 && static_cast<GstClockTime>(-diff) > timestamp)
        self->state->earliest_time = 0;
      else
        self->state->earliest_time = timestamp + diff;
    }
    GST_OBJECT_UNLOCK(self);
    GST_LOG_OBJECT(self, "QoS: proportion %.3f diff %" G_GINT64_FORMAT " ts %" GST_TIME_FORMAT,
                   proportion, diff, GST_TIME_ARGS(timestamp));
    return gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(trans), event);
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->src_event(trans, event);
}

// LATENCY: upstream's plus the measured per-frame time.
static gboolean gst_amused_stylize_query(GstBaseTransform *trans, GstPadDirection direction,
                                         GstQuery *query) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  if (direction == GST_PAD_SRC && GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
    gboolean live = FALSE;
    GstQuery *peer = gst_query_new_latency();
    if (gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(trans), peer))
      gst_query_parse_latency(peer, &live, &min, &max);
    gst_query_unref(peer);
    GstClockTime own_min, own_max;
    GST_OBJECT_LOCK(self);
    self->state->times.report(&own_min, &own_max);
    GST_OBJECT_UNLOCK(self);
    if (GST_CLOCK_TIME_IS_VALID(own_min)) {
      min += own_min;
      if (GST_CLOCK_TIME_IS_VALID(max)) max += own_max;
    }
    GST_DEBUG_OBJECT(self, "latency: live %d min %" GST_TIME_FORMAT " max %" GST_TIME_FORMAT, live,
                     GST_TIME_ARGS(min), GST_TIME_ARGS(max));
    gst_query_set_latency(query, live, min, max);
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->query(trans, direction, query);
}

// num-buffers: every buffer passes here, in passthrough too. identity's eos-after lets
// buffers through again once it has returned EOS (GStreamer 1.22), so a frame limit that
// holds whatever upstream still pushes is the element's own.
static GstFlowReturn gst_amused_stylize_submit_input_buffer(GstBaseTransform *trans,
                                                            gboolean is_discont, GstBuffer *input) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  StylizeState &st = *self->state;
  GST_OBJECT_LOCK(self);
  const gint limit = st.num_buffers;
  GST_OBJECT_UNLOCK(self);
  if (limit >= 0 && st.accepted >= static_cast<guint64>(limit)) {
    GST_DEBUG_OBJECT(self, "num-buffers=%d reached: EOS", limit);
    gst_buffer_unref(input);
    return GST_FLOW_EOS;
  }
  ++st.accepted;
  return GST_BASE_TRANSFORM_CLASS(parent_class)->submit_input_buffer(trans, is_discont, input);
}

// The frame boundary: controlled properties take their values at the buffer's stream time
// (as GStreamer's own filters sync them), and strength 0 switches to passthrough before the
// buffer is handled.
static void gst_amused_stylize_before_transform(GstBaseTransform *trans, GstBuffer *buffer) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(trans);
  const GstClockTime stream_time =
      gst_segment_to_stream_time(&trans->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  if (GST_CLOCK_TIME_IS_VALID(stream_time)) gst_object_sync_values(GST_OBJECT(self), stream_time);
  GST_OBJECT_LOCK(self);
  const gboolean passthrough = self->state->strength <= 0.0;
  GST_OBJECT_UNLOCK(self);
  if (passthrough != gst_base_transform_is_passthrough(trans)) {
    GST_DEBUG_OBJECT(self, "passthrough %s at %" GST_TIME_FORMAT, passthrough ? "on" : "off",
                     GST_TIME_ARGS(GST_BUFFER_PTS(buffer)));
    gst_base_transform_set_passthrough(trans, passthrough);
  }
}

// ---------------------------------------------------------------------------------------
// Streaming

static gboolean gst_amused_stylize_set_info(GstVideoFilter *filter, GstCaps *, GstVideoInfo *in,
                                            GstCaps *, GstVideoInfo *out) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(filter);
  StylizeState &st = *self->state;
  if (!st.model) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, (nullptr), ("caps set before the model loaded"));
    return FALSE;
  }
  if (in->width != out->width || in->height != out->height) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("amusedstylize gives frames of the input's size: %dx%d in, %dx%d out",
                       in->width, in->height, out->width, out->height),
                      (nullptr));
    return FALSE;
  }
  if (!st.rgb.configure(in, out)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Cannot convert %s frames to RGB and back",
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(in))),
                      (nullptr));
    return FALSE;
  }
  st.in_width = in->width;
  st.in_height = in->height;
  amused::Size work;
  try {
    GST_OBJECT_LOCK(self);
    const double work_scale = st.work_scale;
    GST_OBJECT_UNLOCK(self);
    work = amused::fit_size(*st.model, in->width, in->height, work_scale);
    if (!st.session)
      st.session = std::make_unique<amused::VideoSession>(st.model);
    else
      st.session->reset();
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Cannot stylize %dx%d frames: %s", in->width, in->height, e.what()),
                      (nullptr));
    return FALSE;
  }
  st.last_output = amused::Image();
  GST_INFO_OBJECT(self, "input %dx%d, model runs at %dx%d", st.in_width, st.in_height, work.width,
                  work.height);
  return TRUE;
}

static void copy_frame(GstVideoFrame *in, GstVideoFrame *out) { gst_video_frame_copy(out, in); }

static GstFlowReturn gst_amused_stylize_transform_frame(GstVideoFilter *filter,
                                                        GstVideoFrame *in_frame,
                                                        GstVideoFrame *out_frame) {
  GstAmusedStylize *self = GST_AMUSED_STYLIZE(filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM(filter);
  StylizeState &st = *self->state;
  if (!st.session) return GST_FLOW_NOT_NEGOTIATED;

  // Adopt the settings proposed since the last frame.
  GST_OBJECT_LOCK(self);
  const amused::StylizeParams proposed = make_params(st);
  const gint threads = st.settings.threads;
  const GstClockTime earliest = st.earliest_time;
  const gdouble proportion = st.proportion;
  GST_OBJECT_UNLOCK(self);
  amused::StylizeParams params = proposed;

  // QoS: a frame that is already late is not regenerated.
  GstBuffer *inbuf = in_frame->buffer;
  const GstClockTime pts = GST_BUFFER_PTS(inbuf);
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  if (trans->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID(pts))
    running_time = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, pts);
  if (gst_base_transform_is_qos_enabled(trans) && GST_CLOCK_TIME_IS_VALID(earliest) &&
      GST_CLOCK_TIME_IS_VALID(running_time) && running_time <= earliest) {
    const bool have_previous =
        st.last_output.width == st.in_width && st.last_output.height == st.in_height;
    if (have_previous)
      st.rgb.to_frame(st.last_output, out_frame);
    else
      copy_frame(in_frame, out_frame);
    GST_OBJECT_LOCK(self);
    st.times.record_skipped();
    const guint64 skipped = st.times.skipped();
    GST_OBJECT_UNLOCK(self);
    GST_INFO_OBJECT(
        self, "late by %" GST_STIME_FORMAT ": skipping regeneration at %" GST_TIME_FORMAT " (%s)",
        GST_STIME_ARGS(GST_CLOCK_DIFF(running_time, earliest)), GST_TIME_ARGS(pts),
        have_previous ? "previous frame" : "input");
    set_frame_meta(out_frame->buffer, params.generate, nullptr,
                   static_cast<guint64>(st.session->frames()));
    GstMessage *qos =
        gst_message_new_qos(GST_OBJECT(self), FALSE, running_time,
                            gst_segment_to_stream_time(&trans->segment, GST_FORMAT_TIME, pts), pts,
                            GST_BUFFER_DURATION(inbuf));
    gst_message_set_qos_values(qos, GST_CLOCK_DIFF(running_time, earliest), proportion, 1000000);
    gst_message_set_qos_stats(qos, GST_FORMAT_BUFFERS, st.processed, skipped);
    gst_element_post_message(GST_ELEMENT(self), qos);
    return GST_FLOW_OK;
  }

  amused::Frame frame;
  const auto started = std::chrono::steady_clock::now();
  amused::Image output;
  try {
    params.mask = st.mask;
    frame = st.session->stylize_next(
        st.rgb.to_image(in_frame), params,
        frame_control(GST_ELEMENT(self), GST_CAT_DEFAULT, &st.cancel, threads));
    output = std::move(frame.image);
  } catch (const amused::Cancelled &) {
    GST_DEBUG_OBJECT(self, "frame cancelled");
    st.session->reset();
    return GST_FLOW_FLUSHING;
  } catch (const std::exception &e) {
    GST_AMUSED_POST_FRAME_ERROR(self, e.what());
    return GST_FLOW_ERROR;
  }
  st.rgb.to_frame(output, out_frame);
  st.last_output = std::move(output);
  ++st.processed;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  frame.stats.seconds = seconds;  // with the copies in and out
  set_frame_meta(out_frame->buffer, params.generate, &frame.stats,
                 static_cast<guint64>(frame.stats.index));

  GST_OBJECT_LOCK(self);
  const gboolean latency_changed = st.times.record(seconds);
  GST_OBJECT_UNLOCK(self);
  GST_LOG_OBJECT(self,
                 "frame %" G_GINT64_FORMAT " at %" GST_TIME_FORMAT
                 ": %.1f ms, %d steps, "
                 "%d/%d tokens regenerated",
                 frame.stats.index, GST_TIME_ARGS(pts), seconds * 1e3, frame.stats.steps_run,
                 frame.stats.tokens_regenerated, frame.stats.tokens_total);
  if (latency_changed) {
    GST_DEBUG_OBJECT(self, "per-frame time changed notably, posting LATENCY");
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  }
  return GST_FLOW_OK;
}
