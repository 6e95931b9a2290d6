/* gst-amused: GstAmusedMeta, what made each generated frame.
 *
 * amusedsrc and amusedstylize attach one GstAmusedMeta to every buffer they generate
 * (amusedstylize in passthrough, strength=0, leaves buffers untouched). Applications read
 * it with gst_buffer_get_amused_meta(), which is inline and finds the meta by its API
 * name, so a program only needs this header and GStreamer — not the plugin library:
 *
 *   #include <gst/amused/gstamusedmeta.h>
 *
 *   GstAmusedMeta *meta = gst_buffer_get_amused_meta (buffer);
 *   if (meta && meta->prompt_hash == gst_amused_meta_prompt_hash ("a red car"))
 *     g_print ("frame %" G_GUINT64_FORMAT " took %" GST_TIME_FORMAT "\n",
 *         meta->frame_index, GST_TIME_ARGS (meta->generation_time));
 *
 * The API type "GstAmusedMetaAPI" exists once the amused plugin is loaded (creating an
 * amusedsrc/amusedstylize loads it). The meta carries no tags: it describes the content,
 * so it survives videoconvert, videoscale and copies.
 *
 * Layout is stable within a major version; fields may be appended into the padding.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_AMUSED_META_API_NAME "GstAmusedMetaAPI"
#define GST_AMUSED_META_IMPL_NAME "GstAmusedMeta"

/**
 * GstAmusedMeta:
 * @meta: parent #GstMeta
 * @seed: the element's seed; frame k of a stream samples with seed + k
 * @frame_index: k, the frame's number in the generation session (restarts at 0 after a
 *   flush or a state change through READY)
 * @steps: the configured number of scheduler steps (the steps property)
 * @steps_run: transformer passes actually run for this frame: @steps for a keyframe,
 *   fewer for partial frames, 0 when nothing needed regenerating or when skipped
 * @prompt_hash: gst_amused_meta_prompt_hash() of the prompt used for this frame
 * @generation_time: wall-clock time spent producing the frame, in nanoseconds
 * @keyframe: the frame was generated from scratch (first frame, prompt change, scene cut,
 *   periodic refresh)
 * @skipped: amusedstylize skipped regeneration for this frame because it was late (QoS);
 *   the buffer holds the previous stylized frame or the input
 * @tokens_regenerated: tokens masked and sampled again in this frame
 * @tokens_total: tokens in the frame's grid
 * @camera_x: amusedsrc: where the camera is, in pixels of the scene, relative to the
 *   stream's first frame (pans; frame b shows at (x, y) what frame a showed at
 *   (x + b.camera_x - a.camera_x, ...))
 * @camera_y: the same, vertically
 *
 * The same fields are also on every buffer as a #GstCustomMeta named
 * "GstAmusedFrameInfo" whose #GstStructure holds them by these names (plus "prompt"), so
 * that introspection languages (Python) can read them:
 * `buffer.get_custom_meta("GstAmusedFrameInfo").get_structure()`.
 */
typedef struct {
  GstMeta meta;

  guint64 seed;
  guint64 frame_index;
  guint steps;
  guint steps_run;
  guint64 prompt_hash;
  GstClockTime generation_time;
  gboolean keyframe;
  gboolean skipped;
  guint tokens_regenerated;
  guint tokens_total;
  gint64 camera_x;
  gint64 camera_y;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING - 2];
} GstAmusedMeta;

#define GST_AMUSED_FRAME_INFO_META_NAME "GstAmusedFrameInfo"

/**
 * gst_amused_meta_prompt_hash:
 * @prompt: (nullable): a prompt, UTF-8
 *
 * The 64-bit FNV-1a hash of the prompt's bytes (NULL hashes like ""), as stored in
 * GstAmusedMeta.prompt_hash.
 */
static inline guint64 gst_amused_meta_prompt_hash(const gchar *prompt) {
  guint64 h = G_GUINT64_CONSTANT(0xcbf29ce484222325);
  if (prompt) {
    for (const guchar *p = (const guchar *)prompt; *p; ++p) {
      h ^= *p;
      h *= G_GUINT64_CONSTANT(0x100000001b3);
    }
  }
  return h;
}

/**
 * gst_buffer_get_amused_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the buffer's #GstAmusedMeta, or NULL when it has
 * none or the amused plugin has not been loaded in this process.
 */
static inline GstAmusedMeta *gst_buffer_get_amused_meta(GstBuffer *buffer) {
  GType api = g_type_from_name(GST_AMUSED_META_API_NAME);
  if (api == 0) return NULL;
  return (GstAmusedMeta *)gst_buffer_get_meta(buffer, api);
}

/* Implemented by the plugin (libgstamused): registration and attaching. */
GType gst_amused_meta_api_get_type(void);
#define GST_AMUSED_META_API_TYPE (gst_amused_meta_api_get_type())
const GstMetaInfo *gst_amused_meta_get_info(void);
#define GST_AMUSED_META_INFO (gst_amused_meta_get_info())
GstAmusedMeta *gst_buffer_add_amused_meta(GstBuffer *buffer);
/* The GstCustomMeta "GstAmusedFrameInfo" (registered by the plugin). */
const GstMetaInfo *gst_amused_frame_info_meta_get_info(void);

G_END_DECLS
