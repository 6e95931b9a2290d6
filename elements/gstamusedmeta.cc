/* gst-amused: GstAmusedMeta registration. */
#include "gstamusedmeta.h"

#include <cstring>

namespace {

gboolean gst_amused_meta_init(GstMeta *meta, gpointer, GstBuffer *) {
  auto *m = reinterpret_cast<GstAmusedMeta *>(meta);
  m->seed = 0;
  m->frame_index = 0;
  m->steps = 0;
  m->steps_run = 0;
  m->prompt_hash = 0;
  m->generation_time = GST_CLOCK_TIME_NONE;
  m->keyframe = FALSE;
  m->skipped = FALSE;
  m->tokens_regenerated = 0;
  m->tokens_total = 0;
  m->camera_x = m->camera_y = 0;
  std::memset(m->_gst_reserved, 0, sizeof(m->_gst_reserved));
  return TRUE;
}

// The meta describes the content, not its geometry or format: it is kept through copies,
// scaling and colour conversion alike.
gboolean gst_amused_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *, GQuark, gpointer) {
  auto *src = reinterpret_cast<GstAmusedMeta *>(meta);
  GstAmusedMeta *dst = gst_buffer_add_amused_meta(dest);
  if (!dst) return FALSE;
  dst->seed = src->seed;
  dst->frame_index = src->frame_index;
  dst->steps = src->steps;
  dst->steps_run = src->steps_run;
  dst->prompt_hash = src->prompt_hash;
  dst->generation_time = src->generation_time;
  dst->keyframe = src->keyframe;
  dst->skipped = src->skipped;
  dst->tokens_regenerated = src->tokens_regenerated;
  dst->tokens_total = src->tokens_total;
  dst->camera_x = src->camera_x;
  dst->camera_y = src->camera_y;
  return TRUE;
}

}  // namespace

GType gst_amused_meta_api_get_type(void) {
  static GType type = 0;
  // No tags: the meta stays valid whatever is done to the pixels.
  static const gchar *tags[] = {nullptr};
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register(GST_AMUSED_META_API_NAME, tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo *gst_amused_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo *i = gst_meta_register(GST_AMUSED_META_API_TYPE, GST_AMUSED_META_IMPL_NAME,
                                             sizeof(GstAmusedMeta), gst_amused_meta_init, nullptr,
                                             gst_amused_meta_transform);
    g_once_init_leave(&info, i);
  }
  return info;
}

GstAmusedMeta *gst_buffer_add_amused_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<GstAmusedMeta *>(
      gst_buffer_add_meta(buffer, GST_AMUSED_META_INFO, nullptr));
}

const GstMetaInfo *gst_amused_frame_info_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    // No tags: the meta describes the content, so it survives scaling and conversion.
    static const gchar *tags[] = {nullptr};
    const GstMetaInfo *i =
        gst_meta_register_custom(GST_AMUSED_FRAME_INFO_META_NAME, tags, nullptr, nullptr, nullptr);
    g_once_init_leave(&info, i);
  }
  return info;
}
