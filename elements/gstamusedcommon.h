/* gst-amused: what amusedsrc and amusedstylize share.
 *
 * Private to the plugin (C++). The engine is seen through amused.h only (standard library,
 * no torch), so the element sources stay quick to compile.
 *
 *  - the common properties (model, device, precision, prompt, negative-prompt, seed, steps,
 *    guidance-scale, cross-frame-attention, reuse-tokens, remask-boundary, threads and the
 *    read-only statistics), installed, set and read in one place;
 *  - the process-wide model cache: elements naming the same folder (and device, precision)
 *    share one loaded model;
 *  - the per-frame time bookkeeping behind the statistics, the LATENCY query answer and the
 *    LATENCY message.
 */
#pragma once

#include <gst/gst.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <type_traits>

#include "amused.h"
#include "gstamusedenums.h"

namespace gst_amused {

// Property ids shared by both elements; each element numbers its own from PROP_COMMON_LAST.
enum CommonProp : guint {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_PROMPT,
  PROP_NEGATIVE_PROMPT,
  PROP_SEED,
  PROP_STEPS,
  PROP_GUIDANCE_SCALE,
  PROP_CROSS_FRAME_ATTENTION,
  PROP_REUSE_TOKENS,
  PROP_REMASK_BOUNDARY,
  PROP_THREADS,
  PROP_LAST_FRAME_MS,
  PROP_AVERAGE_FRAME_MS,
  PROP_FRAMES_SKIPPED,
  PROP_COMMON_LAST
};

#define DEFAULT_DEVICE "cpu"
#define DEFAULT_PRECISION GST_AMUSED_PRECISION_FP32
#define DEFAULT_PROMPT "a photograph of a mountain lake at sunrise"
#define DEFAULT_NEGATIVE_PROMPT ""
#define DEFAULT_SEED 0
#define DEFAULT_STEPS 12
#define MIN_STEPS 1
#define MAX_STEPS 1000
// Negative = the model's recommended scale (generation_config.json; 10 for real aMUSEd).
#define DEFAULT_GUIDANCE_SCALE -1.0
#define MIN_GUIDANCE_SCALE -1.0
#define MAX_GUIDANCE_SCALE 100.0
#define DEFAULT_CROSS_FRAME_ATTENTION GST_AMUSED_CROSS_FRAME_ATTENTION_FIRST
#define DEFAULT_REUSE_TOKENS TRUE
#define DEFAULT_REMASK_BOUNDARY 1
#define MAX_REMASK_BOUNDARY 64
#define DEFAULT_THREADS 0
#define MAX_THREADS 1024

// The element's settings. Every field is guarded by the element's object lock; the
// streaming thread copies what it needs at the top of each frame.
struct Settings {
  std::string model;  // checkpoint folder; empty when no default model could be found
  std::string device = DEFAULT_DEVICE;
  GstAmusedPrecision precision = DEFAULT_PRECISION;
  std::string prompt = DEFAULT_PROMPT;
  std::string negative_prompt = DEFAULT_NEGATIVE_PROMPT;
  guint64 seed = DEFAULT_SEED;
  gint steps = DEFAULT_STEPS;
  gdouble guidance_scale = DEFAULT_GUIDANCE_SCALE;
  GstAmusedCrossFrameAttention cross_frame_attention = DEFAULT_CROSS_FRAME_ATTENTION;
  gboolean reuse_tokens = DEFAULT_REUSE_TOKENS;
  gint remask_boundary = DEFAULT_REMASK_BOUNDARY;
  gint threads = DEFAULT_THREADS;
  // TRUE between start() and stop(): model, device and precision are then fixed.
  gboolean started = FALSE;

  Settings();
};

// Per-frame times. Guarded by the element's object lock.
class FrameTimes {
 public:
  void reset();
  // The latency estimate before the first frame (from the warm-up pass, one-time costs left
  // out); once frames are measured, only they count.
  void set_estimate(double seconds);
  // Records one frame. Returns TRUE when the element should post a LATENCY message: the
  // estimate rose more than a fifth above the value last reported (frames would be late), or
  // fell below half of it (the pipeline waits needlessly).
  gboolean record(double seconds);
  void record_skipped() { ++skipped_; }

  double last_ms() const { return last_ms_; }
  double average_ms() const { return frames_ ? total_ms_ / static_cast<double>(frames_) : 0.0; }
  guint64 frames() const { return frames_; }
  guint64 skipped() const { return skipped_; }
  // Latency to report: the slowest of the recent frames as minimum, the slowest frame seen
  // as maximum. NONE before any measurement. Marks the values as reported.
  //
  // A maximum over a window, not an average: with a moving camera, frames alternate between
  // expensive ones (new tokens to generate) and nearly free ones, and an average would swing
  // with them, re-posting LATENCY on almost every frame and still undercounting the slow ones.
  void report(GstClockTime *min, GstClockTime *max);
  gboolean has_estimate() const { return recent_count_ > 0 || warm_up_s_ > 0.0; }

 private:
  void remember(double seconds);
  double estimate_s() const;  // the slowest recent frame; needs has_estimate()

  double last_ms_ = 0.0, total_ms_ = 0.0;
  guint64 frames_ = 0, skipped_ = 0;
  static constexpr size_t kWindow = 16;
  std::array<double, kWindow> recent_s_{};
  size_t recent_count_ = 0, recent_next_ = 0;
  double worst_s_ = 0.0, reported_s_ = -1.0, warm_up_s_ = 0.0;
};

// A property held in a plain field (number, boolean, enum), written and read under the
// element's object lock, converted by the GValue's own type.
template <typename T>
void set_locked(GstElement *element, T &field, const GValue *value) {
  GST_OBJECT_LOCK(element);
  if constexpr (std::is_floating_point_v<T>)
    field = static_cast<T>(g_value_get_double(value));
  else if (G_VALUE_HOLDS_UINT64(value))
    field = static_cast<T>(g_value_get_uint64(value));
  else if (G_VALUE_HOLDS_BOOLEAN(value))
    field = static_cast<T>(g_value_get_boolean(value));
  else if (G_VALUE_HOLDS_ENUM(value))
    field = static_cast<T>(g_value_get_enum(value));
  else
    field = static_cast<T>(g_value_get_int(value));
  GST_OBJECT_UNLOCK(element);
}

template <typename T>
void get_locked(GstElement *element, const T &field, GValue *value) {
  GST_OBJECT_LOCK(element);
  if constexpr (std::is_floating_point_v<T>)
    g_value_set_double(value, static_cast<gdouble>(field));
  else if (G_VALUE_HOLDS_UINT64(value))
    g_value_set_uint64(value, static_cast<guint64>(field));
  else if (G_VALUE_HOLDS_BOOLEAN(value))
    g_value_set_boolean(value, static_cast<gboolean>(field));
  else if (G_VALUE_HOLDS_ENUM(value))
    g_value_set_enum(value, static_cast<gint>(field));
  else
    g_value_set_int(value, static_cast<gint>(field));
  GST_OBJECT_UNLOCK(element);
}

// One of an element's own plain properties: its id and the field that holds it.
template <typename T>
struct FieldProperty {
  guint id;
  T &field;
};
template <typename T>
FieldProperty<T> field_property(guint id, T &field) {
  return {id, field};
}

// Sets (under the object lock) the property `prop_id` if it is one of `fields`; FALSE when
// it is none of them.
template <typename... T>
gboolean set_field_property(GstElement *element, guint prop_id, const GValue *value,
                            FieldProperty<T>... fields) {
  return ((prop_id == fields.id && (set_locked(element, fields.field, value), true)) || ...);
}
template <typename... T>
gboolean get_field_property(GstElement *element, guint prop_id, GValue *value,
                            FieldProperty<T>... fields) {
  return ((prop_id == fields.id && (get_locked(element, fields.field, value), true)) || ...);
}

void install_common_properties(GObjectClass *klass);
// TRUE, with a WARNING message naming the property, when the element is started: model,
// device, precision, is-live and mask can only change in NULL or READY.
gboolean refuse_while_started(GstElement *element, const Settings &settings, GParamSpec *pspec);
// Handles the common properties (takes the object lock). Returns FALSE for other ids.
// model/device/precision are refused with a WARNING message while the element is started.
gboolean set_common_property(GstElement *element, Settings &settings, guint prop_id,
                             const GValue *value, GParamSpec *pspec);
// Handles the common properties (takes the object lock). Returns FALSE for other ids.
gboolean get_common_property(GstElement *element, const Settings &settings, const FrameTimes &times,
                             guint prop_id, GValue *value);

// Loads (or shares) the model named by `settings` (a copy taken under the lock). On failure
// posts GST_ELEMENT_ERROR naming the folder or device and the reason, and returns nullptr.
std::shared_ptr<const amused::Model> acquire_model(GstElement *element, const Settings &settings);

// The RunControl of one frame: the element's cancel flag and its own thread count, which
// applies to its streaming thread only (another element keeps its own); each step is logged
// in the element's debug category.
amused::RunControl frame_control(GstElement *element, GstDebugCategory *category,
                                 const std::atomic<bool> *cancel, gint threads);

// The prompt, seed, steps and guidance the element's settings give (guidance < 0: the
// model's own).
amused::GenerateParams generate_params(const Settings &settings);
amused::ConsistencyParams consistency_params(const Settings &settings);

// Fills (or replaces) the buffer's GstAmusedMeta for a frame made with `params`; `stats`
// null: the frame was skipped (QoS) and not regenerated.
void set_frame_meta(GstBuffer *buffer, const amused::GenerateParams &params,
                    const amused::FrameStats *stats, guint64 frame_index);

// Posts an error for an exception thrown by the engine during a frame.
void post_frame_error(GstElement *element, const char *what, const char *file, const char *function,
                      int line);
#define GST_AMUSED_POST_FRAME_ERROR(element, what) \
  ::gst_amused::post_frame_error(GST_ELEMENT(element), what, __FILE__, GST_FUNCTION, __LINE__)

}  // namespace gst_amused
