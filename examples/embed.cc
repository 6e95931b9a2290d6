// embed: amusedsrc inside an application (C++, GStreamer API only, no torch).
//
// Builds `amusedsrc ! appsink`, pulls the frames, changes the prompt while PLAYING after
// --switch-after frames, and prints one line per frame with what GstAmusedMeta says about it
// (seed, steps, which prompt, generation time, tokens regenerated). Exits 0 at EOS, 1 on a
// pipeline error (printed), 2 on bad arguments.
//
//   build/examples/embed --frames 12 --switch-after 6
//   build/examples/embed --model ~/models/amused-256 --prompt "a lighthouse" --frames 4
//
// Build it outside this tree against the installed plugin and header:
//   g++ -std=c++17 embed.cc $(pkg-config --cflags --libs gstreamer-app-1.0) -o embed
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdio>
#include <string>

#ifdef AMUSED_IN_TREE
#include "elements/gstamusedmeta.h"
#else
#include <gst/amused/gstamusedmeta.h>
#endif

namespace {

struct Options {
  gint frames = 12;
  gint switch_after = 6;
  gchar *prompt = nullptr;
  gchar *second_prompt = nullptr;
  gchar *model = nullptr;
  gint64 seed = 0;
  gint steps = 0;  // 0: the element's default
  gchar *snapshot = nullptr;
};

bool parse_options(int &argc, char **&argv, Options &o) {
  const GOptionEntry entries[] = {
      {"frames", 'n', 0, G_OPTION_ARG_INT, &o.frames, "Frames to generate (default 12)", "N"},
      {"switch-after", 's', 0, G_OPTION_ARG_INT, &o.switch_after,
       "Change the prompt after this many frames, while PLAYING (default 6; 0 = never)", "K"},
      {"prompt", 'p', 0, G_OPTION_ARG_STRING, &o.prompt, "First prompt", "TEXT"},
      {"second-prompt", 0, 0, G_OPTION_ARG_STRING, &o.second_prompt,
       "Prompt set after --switch-after frames", "TEXT"},
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model,
       "aMUSEd checkpoint folder (default: the embedded default model)", "DIR"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, "Random seed (default 0)", "S"},
      {"steps", 0, 0, G_OPTION_ARG_INT, &o.steps, "Scheduler steps per keyframe", "N"},
      {"snapshot", 0, 0, G_OPTION_ARG_FILENAME, &o.snapshot, "Save the last frame as a PNG",
       "FILE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("- amusedsrc in an application");
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *error = nullptr;
  const bool ok = g_option_context_parse(context, &argc, &argv, &error);
  g_option_context_free(context);
  if (!ok) {
    g_printerr("embed: %s\n", error->message);
    g_error_free(error);
    return false;
  }
  if (o.frames < 1 || o.switch_after < 0 || o.seed < 0 || o.steps < 0) {
    g_printerr("embed: --frames must be >= 1; --switch-after, --seed and --steps >= 0\n");
    return false;
  }
  if (!o.prompt) o.prompt = g_strdup("a lighthouse on a cliff at dusk");
  if (!o.second_prompt) o.second_prompt = g_strdup("a lighthouse on a cliff at night, stars");
  return true;
}

// Run from the source tree without installing: when the plugin is not in the registry,
// look in the build tree meson compiled this program in.
void find_plugin() {
  GstElementFactory *factory = gst_element_factory_find("amusedsrc");
#ifdef AMUSED_BUILD_PLUGIN_DIR
  if (!factory) {
    gst_registry_scan_path(gst_registry_get(), AMUSED_BUILD_PLUGIN_DIR);
    factory = gst_element_factory_find("amusedsrc");
  }
#endif
  if (factory) gst_object_unref(factory);
}

// Which of our prompts a frame was made with, from the hash in its meta.
const char *prompt_name(guint64 hash, const Options &o) {
  if (hash == gst_amused_meta_prompt_hash(o.prompt)) return "first";
  if (hash == gst_amused_meta_prompt_hash(o.second_prompt)) return "second";
  return "unknown";
}

void print_frame(GstSample *sample, guint64 n, const Options &o) {
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  GstVideoInfo info;
  gst_video_info_from_caps(&info, gst_sample_get_caps(sample));

  // The range of the pixel values says at a glance that the frame is not blank.
  guint8 lo = 255, hi = 0;
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    for (gsize i = 0; i < map.size; ++i) {
      lo = MIN(lo, map.data[i]);
      hi = MAX(hi, map.data[i]);
    }
    gst_buffer_unmap(buffer, &map);
  }

  g_print("frame %" G_GUINT64_FORMAT " pts %" GST_TIME_FORMAT " %dx%d %s range %u..%u", n,
          GST_TIME_ARGS(GST_BUFFER_PTS(buffer)), GST_VIDEO_INFO_WIDTH(&info),
          GST_VIDEO_INFO_HEIGHT(&info), GST_VIDEO_INFO_NAME(&info), lo, hi);
  const GstAmusedMeta *meta = gst_buffer_get_amused_meta(buffer);
  if (!meta) {
    g_print(" | no GstAmusedMeta\n");
    return;
  }
  g_print(" | seed %" G_GUINT64_FORMAT " index %" G_GUINT64_FORMAT
          " steps %u/%u prompt %016" G_GINT64_MODIFIER "x (%s) %.1f ms tokens %u/%u%s\n",
          meta->seed, meta->frame_index, meta->steps_run, meta->steps, meta->prompt_hash,
          prompt_name(meta->prompt_hash, o),
          static_cast<double>(meta->generation_time) / GST_MSECOND, meta->tokens_regenerated,
          meta->tokens_total, meta->keyframe ? " keyframe" : "");
}

// Encodes the frame as PNG with GStreamer's own converter (pngenc under the hood).
bool save_png(GstSample *sample, const char *path) {
  GstCaps *png = gst_caps_new_empty_simple("image/png");
  GError *error = nullptr;
  GstSample *encoded = gst_video_convert_sample(sample, png, 10 * GST_SECOND, &error);
  gst_caps_unref(png);
  bool ok = false;
  if (encoded) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer(encoded);
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      ok = g_file_set_contents(path, reinterpret_cast<const gchar *>(map.data),
                               static_cast<gssize>(map.size), &error);
      gst_buffer_unmap(buffer, &map);
    }
    gst_sample_unref(encoded);
  }
  if (!ok) g_printerr("embed: cannot write %s: %s\n", path, error ? error->message : "?");
  g_clear_error(&error);
  return ok;
}

// Pops the first ERROR (printed) or EOS from the bus without waiting. Returns TRUE when the
// run is over: *failed says whether it ended with an error.
gboolean check_bus(GstBus *bus, gboolean *failed) {
  GstMessage *msg =
      gst_bus_pop_filtered(bus, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  if (!msg) return FALSE;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &error, &debug);
    g_printerr("embed: error from %s: %s\n%s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
               error->message, debug ? debug : "");
    g_clear_error(&error);
    g_free(debug);
    *failed = TRUE;
  }
  gst_message_unref(msg);
  return TRUE;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parse_options(argc, argv, o)) return 2;
  gst_init(&argc, &argv);
  find_plugin();

  GstElement *pipeline = gst_pipeline_new("embed");
  GstElement *src = gst_element_factory_make("amusedsrc", "src");
  GstElement *sink = gst_element_factory_make("appsink", "sink");
  if (!src || !sink) {
    g_printerr("embed: cannot create %s: is the amused plugin installed (or on GST_PLUGIN_PATH)?\n",
               src ? "appsink" : "amusedsrc");
    return 1;
  }
  g_object_set(src, "prompt", o.prompt, "seed", static_cast<guint64>(o.seed), "num-buffers",
               o.frames, nullptr);
  if (o.model) g_object_set(src, "model", o.model, nullptr);
  if (o.steps > 0) g_object_set(src, "steps", o.steps, nullptr);
  // No clock sync: take frames as fast as they are generated. A small queue keeps memory
  // flat if the application falls behind.
  g_object_set(sink, "sync", FALSE, "max-buffers", 4, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, sink, nullptr);
  gst_element_link(src, sink);

  GstBus *bus = gst_element_get_bus(pipeline);
  gboolean failed = FALSE;
  guint64 n = 0;
  GstSample *last = nullptr;
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The element has posted why (e.g. the model folder does not exist).
    if (!check_bus(bus, &failed) || !failed) g_printerr("embed: cannot start the pipeline\n");
    failed = TRUE;
  } else {
    // Poll with a timeout rather than block: on an error no EOS ever reaches the appsink.
    for (;;) {
      GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 100 * GST_MSECOND);
      if (sample) {
        print_frame(sample, n, o);
        if (last) gst_sample_unref(last);
        last = sample;
        if (++n == static_cast<guint64>(o.switch_after)) {
          // GST_PARAM_MUTABLE_PLAYING: applies from the next frame, which becomes a keyframe.
          g_print("-- prompt -> \"%s\"\n", o.second_prompt);
          g_object_set(src, "prompt", o.second_prompt, nullptr);
        }
        continue;
      }
      if (check_bus(bus, &failed)) break;
      if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
    }
  }

  gdouble average_ms = 0.0;
  g_object_get(src, "average-frame-ms", &average_ms, nullptr);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  if (!failed && o.snapshot && last && save_png(last, o.snapshot))
    g_print("wrote %s\n", o.snapshot);
  if (last) gst_sample_unref(last);
  if (!failed) g_print("%" G_GUINT64_FORMAT " frames, %.1f ms per frame\n", n, average_ms);
  g_free(o.prompt);
  g_free(o.second_prompt);
  g_free(o.model);
  g_free(o.snapshot);
  return failed ? 1 : 0;
}
