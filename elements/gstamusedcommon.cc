/* gst-amused: properties, model cache and frame times shared by the elements. */
#include "gstamusedcommon.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "amused.h"
#include "gstamusedmeta.h"

namespace gst_amused {

namespace {

// The process-wide cache the plugin owns: weak references, so a model lives exactly as long
// as some element holds it (between its start() and stop()).
amused::ModelCache &model_cache() {
  static amused::ModelCache *cache = new amused::ModelCache();  // never destroyed: plugins
  return *cache;                                                // are never unloaded
}

// The default model folder, or "" when none is installed (start() then says why).
const std::string &default_model() {
  static const std::string dir = [] {
    try {
      return amused::default_model_dir().string();
    } catch (const std::exception &) {
      return std::string();
    }
  }();
  return dir;
}

const char *state_name(GstElement *element) {
  return gst_element_state_get_name(GST_STATE(element));
}

}  // namespace

Settings::Settings() : model(default_model()) {}

void FrameTimes::reset() { *this = FrameTimes(); }

void FrameTimes::set_estimate(double seconds) { warm_up_s_ = seconds; }

gboolean FrameTimes::record(double seconds) {
  last_ms_ = seconds * 1000.0;
  total_ms_ += last_ms_;
  ++frames_;
  remember(seconds);
  if (reported_s_ < 0.0) return FALSE;  // nobody asked yet: nothing to correct
  const double estimate = estimate_s();
  if (std::abs(estimate - reported_s_) <= 0.0005) return FALSE;
  return estimate > 1.2 * reported_s_ || estimate < 0.5 * reported_s_;
}

void FrameTimes::remember(double seconds) {
  worst_s_ = std::max(worst_s_, seconds);
  recent_s_[recent_next_] = seconds;
  recent_next_ = (recent_next_ + 1) % kWindow;
  recent_count_ = std::min(recent_count_ + 1, kWindow);
}

double FrameTimes::estimate_s() const {
  if (recent_count_ == 0) return warm_up_s_;
  return *std::max_element(recent_s_.begin(), recent_s_.begin() + recent_count_);
}

void FrameTimes::report(GstClockTime *min, GstClockTime *max) {
  if (!has_estimate()) {
    *min = *max = GST_CLOCK_TIME_NONE;
    return;
  }
  reported_s_ = estimate_s();
  *min = static_cast<GstClockTime>(reported_s_ * GST_SECOND);
  // worst_s_ >= every recent time; before the first frame, the warm-up's estimate.
  *max = static_cast<GstClockTime>(std::max(worst_s_, reported_s_) * GST_SECOND);
}

void install_common_properties(GObjectClass *klass) {
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ready = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);
  const auto animated = static_cast<GParamFlags>(playing | GST_PARAM_CONTROLLABLE);
  const auto stats = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const std::string &model = default_model();

  g_object_class_install_property(
      klass, PROP_MODEL,
      g_param_spec_string(
          "model", "Model",
          "aMUSEd checkpoint folder in the diffusers layout (model_index.json, text_encoder/, "
          "tokenizer/, transformer/, vqvae/, scheduler/); NULL = the embedded default model. "
          "Loaded when the element goes to PAUSED; elements naming the same folder share it",
          model.empty() ? nullptr : model.c_str(), ready));
  g_object_class_install_property(
      klass, PROP_DEVICE,
      g_param_spec_string("device", "Device",
                          "libtorch device to run the model on (cpu, cuda, cuda:N). A device "
                          "this libtorch build cannot use is an error, never a fallback",
                          DEFAULT_DEVICE, ready));
  g_object_class_install_property(
      klass, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "Numeric precision of the transformer and text encoder",
                        GST_TYPE_AMUSED_PRECISION, DEFAULT_PRECISION, ready));
  g_object_class_install_property(
      klass, PROP_PROMPT,
      g_param_spec_string("prompt", "Prompt",
                          "What to generate. Changes apply from the next frame, which then "
                          "starts a new anchor",
                          DEFAULT_PROMPT, playing));
  g_object_class_install_property(
      klass, PROP_NEGATIVE_PROMPT,
      g_param_spec_string("negative-prompt", "Negative prompt",
                          "What to steer away from (classifier-free guidance); empty = the "
                          "reference's unconditional prompt. Changes apply from the next frame",
                          DEFAULT_NEGATIVE_PROMPT, playing));
  g_object_class_install_property(
      klass, PROP_SEED,
      g_param_spec_uint64("seed", "Seed",
                          "Random seed; frame k of a stream samples with seed + k, so the same "
                          "settings give the same frames. Changes apply from the next frame",
                          0, G_MAXUINT64, DEFAULT_SEED, playing));
  g_object_class_install_property(
      klass, PROP_STEPS,
      g_param_spec_int("steps", "Steps",
                       "Scheduler steps for a frame generated from scratch; partial frames use "
                       "proportionally fewer. Changes apply from the next frame",
                       MIN_STEPS, MAX_STEPS, DEFAULT_STEPS, playing));
  g_object_class_install_property(
      klass, PROP_GUIDANCE_SCALE,
      g_param_spec_double("guidance-scale", "Guidance scale",
                          "Classifier-free guidance scale (on when > 1; doubles the work per "
                          "step); -1 = the model's recommended scale (1.75 for the default model, "
                          "10 for amused-256/512). Changes apply from the next frame; "
                          "controllable (GstController)",
                          MIN_GUIDANCE_SCALE, MAX_GUIDANCE_SCALE, DEFAULT_GUIDANCE_SCALE,
                          animated));
  g_object_class_install_property(
      klass, PROP_CROSS_FRAME_ATTENTION,
      g_param_spec_enum("cross-frame-attention", "Cross-frame attention",
                        "Which earlier frames every self-attention layer also attends to, so "
                        "the scene keeps its look. Changes apply from the next frame",
                        GST_TYPE_AMUSED_CROSS_FRAME_ATTENTION, DEFAULT_CROSS_FRAME_ATTENTION,
                        playing));
  g_object_class_install_property(
      klass, PROP_REUSE_TOKENS,
      g_param_spec_boolean("reuse-tokens", "Reuse tokens",
                           "Keep the previous frame's tokens where nothing is new or changed "
                           "and regenerate only the rest (FALSE: every frame from scratch). "
                           "Changes apply from the next frame",
                           DEFAULT_REUSE_TOKENS, playing));
  g_object_class_install_property(
      klass, PROP_REMASK_BOUNDARY,
      g_param_spec_int("remask-boundary", "Re-mask boundary",
                       "Band of tokens around new or changed ones that is regenerated too, so "
                       "seams blend. Changes apply from the next frame",
                       0, MAX_REMASK_BOUNDARY, DEFAULT_REMASK_BOUNDARY, playing));
  g_object_class_install_property(
      klass, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "Threads this element's streaming thread computes with (0 = one per "
                       "core, or OMP_NUM_THREADS); other elements keep their own. Changes apply "
                       "from the next frame",
                       0, MAX_THREADS, DEFAULT_THREADS, playing));
  g_object_class_install_property(
      klass, PROP_LAST_FRAME_MS,
      g_param_spec_double("last-frame-ms", "Last frame time",
                          "Time spent producing the last frame, in milliseconds", 0.0, G_MAXDOUBLE,
                          0.0, stats));
  g_object_class_install_property(
      klass, PROP_AVERAGE_FRAME_MS,
      g_param_spec_double("average-frame-ms", "Average frame time",
                          "Mean time per produced frame since the element started, in "
                          "milliseconds",
                          0.0, G_MAXDOUBLE, 0.0, stats));
  g_object_class_install_property(
      klass, PROP_FRAMES_SKIPPED,
      g_param_spec_uint64("frames-skipped", "Frames skipped",
                          "Frames not generated because the element was late (amusedstylize: "
                          "late buffers under QoS; live amusedsrc: frame slots that passed during "
                          "a long frame); each is reported in a QoS message",
                          0, G_MAXUINT64, 0, stats));
}

gboolean refuse_while_started(GstElement *element, const Settings &s, GParamSpec *pspec) {
  GST_OBJECT_LOCK(element);
  const gboolean started = s.started;
  GST_OBJECT_UNLOCK(element);
  if (started)
    GST_ELEMENT_WARNING(element, LIBRARY, SETTINGS,
                        ("The '%s' property can only be changed in the NULL or READY state; "
                         "ignored in %s",
                         pspec->name, state_name(element)),
                        (nullptr));
  return started;
}

gboolean set_common_property(GstElement *element, Settings &s, guint prop_id, const GValue *value,
                             GParamSpec *pspec) {
  switch (prop_id) {
    case PROP_MODEL:
    case PROP_DEVICE:
    case PROP_PRECISION: {
      if (refuse_while_started(element, s, pspec)) return TRUE;
      GST_OBJECT_LOCK(element);
      if (prop_id == PROP_MODEL) {
        const gchar *v = g_value_get_string(value);
        s.model = v && *v ? v : default_model();
      } else if (prop_id == PROP_DEVICE) {
        const gchar *v = g_value_get_string(value);
        s.device = v && *v ? v : DEFAULT_DEVICE;
      } else {
        s.precision = static_cast<GstAmusedPrecision>(g_value_get_enum(value));
      }
      GST_OBJECT_UNLOCK(element);
      return TRUE;
    }
    case PROP_THREADS:
      set_locked(element, s.threads, value);
      return TRUE;
    case PROP_PROMPT: {
      const gchar *v = g_value_get_string(value);
      GST_OBJECT_LOCK(element);
      s.prompt = v ? v : "";
      GST_OBJECT_UNLOCK(element);
      return TRUE;
    }
    case PROP_NEGATIVE_PROMPT: {
      const gchar *v = g_value_get_string(value);
      GST_OBJECT_LOCK(element);
      s.negative_prompt = v ? v : "";
      GST_OBJECT_UNLOCK(element);
      return TRUE;
    }
    case PROP_SEED:
      set_locked(element, s.seed, value);
      return TRUE;
    case PROP_STEPS:
      set_locked(element, s.steps, value);
      return TRUE;
    case PROP_GUIDANCE_SCALE:
      set_locked(element, s.guidance_scale, value);
      return TRUE;
    case PROP_CROSS_FRAME_ATTENTION:
      set_locked(element, s.cross_frame_attention, value);
      return TRUE;
    case PROP_REUSE_TOKENS:
      set_locked(element, s.reuse_tokens, value);
      return TRUE;
    case PROP_REMASK_BOUNDARY:
      set_locked(element, s.remask_boundary, value);
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean get_common_property(GstElement *element, const Settings &s, const FrameTimes &times,
                             guint prop_id, GValue *value) {
  GST_OBJECT_LOCK(element);
  gboolean handled = TRUE;
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string(value, s.model.empty() ? nullptr : s.model.c_str());
      break;
    case PROP_DEVICE:
      g_value_set_string(value, s.device.c_str());
      break;
    case PROP_PRECISION:
      g_value_set_enum(value, s.precision);
      break;
    case PROP_PROMPT:
      g_value_set_string(value, s.prompt.c_str());
      break;
    case PROP_NEGATIVE_PROMPT:
      g_value_set_string(value, s.negative_prompt.c_str());
      break;
    case PROP_SEED:
      g_value_set_uint64(value, s.seed);
      break;
    case PROP_STEPS:
      g_value_set_int(value, s.steps);
      break;
    case PROP_GUIDANCE_SCALE:
      g_value_set_double(value, s.guidance_scale);
      break;
    case PROP_CROSS_FRAME_ATTENTION:
      g_value_set_enum(value, s.cross_frame_attention);
      break;
    case PROP_REUSE_TOKENS:
      g_value_set_boolean(value, s.reuse_tokens);
      break;
    case PROP_REMASK_BOUNDARY:
      g_value_set_int(value, s.remask_boundary);
      break;
    case PROP_THREADS:
      g_value_set_int(value, s.threads);
      break;
    case PROP_LAST_FRAME_MS:
      g_value_set_double(value, times.last_ms());
      break;
    case PROP_AVERAGE_FRAME_MS:
      g_value_set_double(value, times.average_ms());
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64(value, times.skipped());
      break;
    default:
      handled = FALSE;
      break;
  }
  GST_OBJECT_UNLOCK(element);
  return handled;
}

std::shared_ptr<const amused::Model> acquire_model(GstElement *element, const Settings &s) {
  namespace fs = std::filesystem;
  std::string dir = s.model;
  if (dir.empty()) {
    try {
      dir = amused::default_model_dir().string();
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("No model set and no default model installed: %s", e.what()),
                        ("set the model property to an aMUSEd checkpoint folder"));
      return nullptr;
    }
  }

  amused::LoadOptions options;
  try {
    options.device = amused::parse_device(s.device);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS,
                      ("Invalid device '%s': expected cpu, cuda or cuda:N", s.device.c_str()),
                      ("%s", e.what()));
    return nullptr;
  }
  switch (s.precision) {
    case GST_AMUSED_PRECISION_BF16:
      options.precision = amused::Precision::kBFloat16;
      break;
    case GST_AMUSED_PRECISION_INT8:
      options.precision = amused::Precision::kInt8;
      break;
    default:
      options.precision = amused::Precision::kFloat32;
      break;
  }
  // The recycling allocator, once per process (amused.h): frames allocate the same large
  // blocks again and again.
  static std::once_flag runtime_once;
  std::call_once(runtime_once, [] { amused::configure_runtime(); });

  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                      ("Cannot load the model at '%s': the folder does not exist", dir.c_str()),
                      ("model=%s", dir.c_str()));
    return nullptr;
  }
  try {
    auto model = model_cache().get(dir, options);
    auto info = amused::describe(*model);
    GST_INFO_OBJECT(
        element, "model %s: %dx%d native, %d px per token, %" G_GINT64_FORMAT " parameters, %s, %s",
        dir.c_str(), info.native_width, info.native_height, info.vae_scale_factor, info.parameters,
        info.device.c_str(), info.precision.c_str());
    return model;
  } catch (const std::exception &e) {
    // The engine checks the device before touching the folder; its messages name it.
    if (options.device != "cpu" && std::string(e.what()).find("device") != std::string::npos) {
      GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS,
                        ("Device '%s' cannot be used: %s", s.device.c_str(), e.what()),
                        ("model=%s", dir.c_str()));
    } else {
      GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS,
                        ("Cannot load the model at '%s': %s", dir.c_str(), e.what()),
                        ("model=%s device=%s", dir.c_str(), s.device.c_str()));
    }
    return nullptr;
  }
}

amused::RunControl frame_control(GstElement *element, GstDebugCategory *category,
                                 const std::atomic<bool> *cancel, gint threads) {
  amused::RunControl control;
  control.cancel = cancel;
  control.threads = threads;
  control.on_step = [element, category](int step, int total) {
    GST_CAT_LOG_OBJECT(category, element, "step %d/%d", step, total);
  };
  return control;
}

amused::GenerateParams generate_params(const Settings &s) {
  amused::GenerateParams g;
  g.prompt = s.prompt;
  g.negative_prompt = s.negative_prompt;
  g.seed = s.seed;
  g.steps = s.steps;
  if (s.guidance_scale >= 0.0) g.guidance_scale = s.guidance_scale;
  return g;
}

amused::ConsistencyParams consistency_params(const Settings &s) {
  amused::ConsistencyParams c;
  c.cross_frame_attention = static_cast<amused::CrossFrameAttention>(s.cross_frame_attention);
  c.reuse_tokens = s.reuse_tokens;
  c.remask_boundary = s.remask_boundary;
  return c;
}

void set_frame_meta(GstBuffer *buffer, const amused::GenerateParams &params,
                    const amused::FrameStats *stats, guint64 frame_index) {
  // The buffer may carry a meta copied from upstream (another amused element): the one
  // describing this element's work replaces it.
  auto *meta =
      reinterpret_cast<GstAmusedMeta *>(gst_buffer_get_meta(buffer, GST_AMUSED_META_API_TYPE));
  if (!meta) meta = gst_buffer_add_amused_meta(buffer);
  meta->seed = params.seed;
  meta->frame_index = frame_index;
  meta->steps = static_cast<guint>(params.steps);
  meta->prompt_hash = gst_amused_meta_prompt_hash(params.prompt.c_str());
  meta->skipped = stats == nullptr;
  meta->steps_run = stats ? static_cast<guint>(stats->steps_run) : 0;
  meta->generation_time = stats ? static_cast<GstClockTime>(stats->seconds * GST_SECOND) : 0;
  meta->keyframe = stats ? stats->keyframe : FALSE;
  meta->tokens_regenerated = stats ? static_cast<guint>(stats->tokens_regenerated) : 0;
  meta->tokens_total = stats ? static_cast<guint>(stats->tokens_total) : 0;
  meta->camera_x = stats ? stats->camera_x : 0;
  meta->camera_y = stats ? stats->camera_y : 0;

  // The same for introspection languages, which cannot read a C struct.
  gst_amused_frame_info_meta_get_info();
  GstCustomMeta *info = gst_buffer_get_custom_meta(buffer, GST_AMUSED_FRAME_INFO_META_NAME);
  if (!info) info = gst_buffer_add_custom_meta(buffer, GST_AMUSED_FRAME_INFO_META_NAME);
  if (!info) return;
  gst_structure_set(gst_custom_meta_get_structure(info), "seed", G_TYPE_UINT64, meta->seed,
                    "frame-index", G_TYPE_UINT64, meta->frame_index, "steps", G_TYPE_UINT,
                    meta->steps, "steps-run", G_TYPE_UINT, meta->steps_run, "prompt", G_TYPE_STRING,
                    params.prompt.c_str(), "prompt-hash", G_TYPE_UINT64, meta->prompt_hash,
                    "generation-time", G_TYPE_UINT64, meta->generation_time, "keyframe",
                    G_TYPE_BOOLEAN, meta->keyframe, "skipped", G_TYPE_BOOLEAN, meta->skipped,
                    "tokens-regenerated", G_TYPE_UINT, meta->tokens_regenerated, "tokens-total",
                    G_TYPE_UINT, meta->tokens_total, "camera-x", G_TYPE_INT64, meta->camera_x,
                    "camera-y", G_TYPE_INT64, meta->camera_y, nullptr);
}

void post_frame_error(GstElement *element, const char *what, const char *file, const char *function,
                      int line) {
  gst_element_message_full(element, GST_MESSAGE_ERROR, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED,
                           g_strdup_printf("Generating a frame failed: %s", what),
                           g_strdup_printf("%s", what), file, function, line);
}

}  // namespace gst_amused
