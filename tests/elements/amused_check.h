// Helpers shared by the element tests (gst-check, C++).
//
// AMUSED_TINY_MODEL is the small random-weight checkpoint (tests/data/amused-tiny): 32x32
// frames, 4 pixels per token, fast enough to run hundreds of frames in a test.
#pragma once

// C++ standard headers come before gstcheck.h: check.h defines a fail() macro that clashes
// with std::basic_ios::fail().
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "elements/gstamusedmeta.h"
#include "tests/temp_dir.h"

#ifndef AMUSED_TINY_MODEL
#error "AMUSED_TINY_MODEL must point at tests/data/amused-tiny"
#endif
#ifndef AMUSED_TESTS_DATA_DIR
#error "AMUSED_TESTS_DATA_DIR must point at tests/data"
#endif

namespace amused_check {

inline std::string tiny_model() { return AMUSED_TINY_MODEL; }

// Replaces "@TINY@" in a launch line with the tiny model's path.
inline std::string launch_line(std::string line) {
  const std::string key = "@TINY@";
  for (size_t at = line.find(key); at != std::string::npos; at = line.find(key))
    line.replace(at, key.size(), tiny_model());
  return line;
}

inline GstElement *parse(const std::string &line) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(launch_line(line).c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "cannot parse '%s': %s", line.c_str(),
              error ? error->message : "?");
  return pipeline;
}

// The text of an ERROR message: "<message> | <debug>".
inline std::string error_text(GstMessage *msg) {
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(msg, &error, &debug);
  std::string text = std::string(error ? error->message : "") + " | " + (debug ? debug : "");
  g_clear_error(&error);
  g_free(debug);
  return text;
}

using amused::test::TempDir;  // tests/temp_dir.h

// Counts, in `count`, the buffers the fakesink named "sink" (signal-handoffs=true) of
// `pipeline` receives.
inline void count_handoffs(GstElement *pipeline, gint *count) {
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff",
                   G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer data) {
                     g_atomic_int_inc(static_cast<gint *>(data));
                   }),
                   count);
  gst_object_unref(sink);
}

// Sets `pipeline` PLAYING and waits until `count` has grown by `frames` (at most
// `wait_ms` milliseconds; a bound, not a timing).
inline void play_for_frames(GstElement *pipeline, const gint *count, int frames, int wait_ms,
                            int cycle) {
  const gint before = g_atomic_int_get(count);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 60 * GST_SECOND),
                         GST_STATE_CHANGE_SUCCESS);
  for (int spin = 0; spin < wait_ms && g_atomic_int_get(count) < before + frames; ++spin)
    g_usleep(1000);
  fail_unless(g_atomic_int_get(count) >= before + frames, "cycle %d produced no frames", cycle);
}

// A test of a suite: its name (what GST_CHECKS selects by) and its function.
struct NamedTest {
  const char *name;
  TFun function;
};
#define AMUSED_TEST(test) \
  amused_check::NamedTest { #test, test }

// A suite of one test case ("general") holding `tests`; a `timeout_s` above 0 replaces
// check's default timeout.
inline Suite *one_case_suite(const char *name, std::initializer_list<NamedTest> tests,
                             int timeout_s = 0) {
  Suite *suite = suite_create(name);
  TCase *tc = tcase_create("general");
  if (timeout_s > 0) tcase_set_timeout(tc, timeout_s);
  suite_add_tcase(suite, tc);
  // What tcase_add_test expands to, with the test's own name.
  for (const NamedTest &test : tests) _tcase_add_test(tc, test.function, test.name, 0, 0, 0, 1);
  return suite;
}

// Sets the pipeline to NULL and checks that it gets there synchronously.
inline void shut_down(GstElement *pipeline) {
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  GstState state = GST_STATE_VOID_PENDING;
  gst_element_get_state(pipeline, &state, nullptr, 0);
  fail_unless_equals_int(state, GST_STATE_NULL);
}

// Runs `line` and expects the first ERROR on the bus to come from an element of factory
// `element` ("amusedsrc") and to contain every needle; the pipeline must then go to NULL.
inline void expect_error(const std::string &line, const char *element,
                         std::initializer_list<std::string> needles) {
  GstElement *pipeline = parse(line);
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 120 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  fail_unless(msg != nullptr, "no ERROR within 120 s for '%s'", line.c_str());
  fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_ERROR);
  const std::string text = error_text(msg);
  // By factory, not by instance name: "amusedsrc0" only in a fresh process (CK_FORK=no runs
  // every test in one, and a failed check there leaves its pipeline running).
  GstElementFactory *factory = GST_IS_ELEMENT(GST_MESSAGE_SRC(msg))
                                   ? gst_element_get_factory(GST_ELEMENT(GST_MESSAGE_SRC(msg)))
                                   : nullptr;
  const std::string from =
      factory ? GST_OBJECT_NAME(factory) : GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
  GST_INFO("error from %s: %s", from.c_str(), text.c_str());
  fail_unless(from == element, "first error came from a %s, expected a %s: %s", from.c_str(),
              element, text.c_str());
  for (const auto &needle : needles)
    fail_unless(text.find(needle) != std::string::npos, "error '%s' does not mention '%s'",
                text.c_str(), needle.c_str());
  gst_message_unref(msg);
  shut_down(pipeline);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// Waits for the next message of `types` from an element named `name` (any element when
// null); returns nullptr on timeout. Fails on an ERROR that was not asked for.
inline GstMessage *wait_message(GstBus *bus, GstMessageType types, const char *name,
                                GstClockTime timeout) {
  const gint64 deadline = g_get_monotonic_time() + static_cast<gint64>(timeout / 1000);
  for (;;) {
    const gint64 left = deadline - g_get_monotonic_time();
    if (left <= 0) return nullptr;
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(left) * 1000,
                                   static_cast<GstMessageType>(types | GST_MESSAGE_ERROR));
    if (!msg) return nullptr;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR && !(types & GST_MESSAGE_ERROR))
      fail("unexpected error from %s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
           error_text(msg).c_str());
    if (!name || g_strcmp0(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), name) == 0) return msg;
    gst_message_unref(msg);
  }
}

inline GstAmusedMeta *meta_of(GstBuffer *buffer) {
  GstAmusedMeta *meta = gst_buffer_get_amused_meta(buffer);
  fail_unless(meta != nullptr, "buffer without GstAmusedMeta");
  return meta;
}

inline bool same_pixels(GstBuffer *a, GstBuffer *b) {
  GstMapInfo ma, mb;
  fail_unless(gst_buffer_map(a, &ma, GST_MAP_READ));
  fail_unless(gst_buffer_map(b, &mb, GST_MAP_READ));
  const bool same = ma.size == mb.size && std::memcmp(ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
  return same;
}

// Mean absolute difference per byte.
inline double mean_abs_diff(GstBuffer *a, GstBuffer *b) {
  GstMapInfo ma, mb;
  fail_unless(gst_buffer_map(a, &ma, GST_MAP_READ));
  fail_unless(gst_buffer_map(b, &mb, GST_MAP_READ));
  fail_unless_equals_int(ma.size, mb.size);
  double sum = 0;
  for (gsize i = 0; i < ma.size; ++i) sum += std::abs(int(ma.data[i]) - int(mb.data[i]));
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
  return sum / static_cast<double>(ma.size);
}

// Real content: not a constant (grey/black) frame.
inline bool has_content(GstBuffer *buffer) {
  GstMapInfo m;
  fail_unless(gst_buffer_map(buffer, &m, GST_MAP_READ));
  guint8 lo = 255, hi = 0;
  for (gsize i = 0; i < m.size; ++i) {
    lo = std::min(lo, m.data[i]);
    hi = std::max(hi, m.data[i]);
  }
  gst_buffer_unmap(buffer, &m);
  return hi - lo > 8;
}

// Watches the elements' per-step LOG lines ("step k/n") to know that a frame is in the
// middle of its generation, and when each step happened. One watch for the whole process
// (step_watch()): GStreamer hands its log functions to the streaming threads without a
// lock, so a thread may still be inside step_log just after a StepWatcher removed it; what
// it reads must outlive every watcher, and every field is read and written under `lock`.
struct StepWatch {
  GMutex lock;  // static storage: zero-initialised GLib locks need no init
  GCond cond;
  bool active = false;
  std::string category;
  int total = 0;  // only frames with this many steps (the warm-up pass logs nothing)
  int first_step = 0, last_step = 0;
  gint64 first_us = 0, last_us = 0;
};

inline StepWatch &step_watch() {
  static StepWatch watch;
  return watch;
}

inline void step_log(GstDebugCategory *category, GstDebugLevel level, const gchar *, const gchar *,
                     gint, GObject *, GstDebugMessage *message, gpointer) {
  if (level != GST_LEVEL_LOG) return;
  int step = 0, total = 0;
  if (std::sscanf(gst_debug_message_get(message), "step %d/%d", &step, &total) != 2) return;
  StepWatch &w = step_watch();
  g_mutex_lock(&w.lock);
  if (w.active && total == w.total && w.category == gst_debug_category_get_name(category)) {
    const gint64 now = g_get_monotonic_time();
    if (w.first_step == 0) {
      w.first_step = step;
      w.first_us = now;
    }
    w.last_step = step;
    w.last_us = now;
    g_cond_broadcast(&w.cond);
  }
  g_mutex_unlock(&w.lock);
}

// While it lives, watches the LOG lines of `category` for the steps of frames of `total`
// steps (the warm-up pass's frames have fewer). One at a time.
class StepWatcher {
 public:
  StepWatcher(const char *category, int total) : w_(step_watch()) {
    g_mutex_lock(&w_.lock);
    w_.active = true;
    w_.category = category;
    w_.total = total;
    w_.first_step = w_.last_step = 0;
    w_.first_us = w_.last_us = 0;
    g_mutex_unlock(&w_.lock);
    gst_debug_set_threshold_for_name(category, GST_LEVEL_LOG);
    gst_debug_remove_log_function(gst_debug_log_default);
    gst_debug_add_log_function(step_log, nullptr, nullptr);
  }
  ~StepWatcher() {
    gst_debug_remove_log_function(step_log);
    gst_debug_add_log_function(gst_debug_log_default, nullptr, nullptr);
    g_mutex_lock(&w_.lock);
    w_.active = false;
    gst_debug_unset_threshold_for_name(w_.category.c_str());
    g_mutex_unlock(&w_.lock);
  }
  StepWatcher(const StepWatcher &) = delete;
  StepWatcher &operator=(const StepWatcher &) = delete;

  // Waits (at most `timeout_s`) until a frame reached `step`; returns the step reached.
  int wait_for(int step, int timeout_s = 120) {
    g_mutex_lock(&w_.lock);
    const gint64 deadline = g_get_monotonic_time() + timeout_s * G_TIME_SPAN_SECOND;
    while (w_.last_step < step)
      if (!g_cond_wait_until(&w_.cond, &w_.lock, deadline)) break;
    const int reached = w_.last_step;
    g_mutex_unlock(&w_.lock);
    return reached;
  }
  int last_step() {
    g_mutex_lock(&w_.lock);
    const int step = w_.last_step;
    g_mutex_unlock(&w_.lock);
    return step;
  }
  double per_step_us() {
    g_mutex_lock(&w_.lock);
    const double us = w_.last_step > w_.first_step
                          ? double(w_.last_us - w_.first_us) / (w_.last_step - w_.first_step)
                          : 0.0;
    g_mutex_unlock(&w_.lock);
    return us;
  }

 private:
  StepWatch &w_;
};

// Starts `line` (whose amused element runs `total` steps per frame), waits until its first
// frame is `wait_steps` steps in, then sets the pipeline to NULL. Checks that this returns
// before half of the frame's remaining steps could have run (at the pace measured in this
// very run) and that the frame never completed. Prints the figures.
inline void check_null_mid_frame(const std::string &line, const char *category, int total,
                                 int wait_steps) {
  StepWatcher steps(category, total);
  GstElement *pipeline = parse(line);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  const int reached = steps.wait_for(wait_steps);
  const double per_step_us = steps.per_step_us();
  fail_unless(reached >= wait_steps, "the frame did not get to step %d (at %d)", wait_steps,
              reached);

  const gint64 t0 = g_get_monotonic_time();
  shut_down(pipeline);
  const gint64 t1 = g_get_monotonic_time();
  const int final_step = steps.last_step();

  const double to_null_ms = (t1 - t0) / 1000.0;
  const double remaining_ms = (total - reached) * per_step_us / 1000.0;
  g_print(
      "%s: NULL mid-frame at step %d/%d took %.2f ms; %.3f ms per step, so the rest of "
      "the frame would have needed %.0f ms (last step logged: %d)\n",
      category, reached, total, to_null_ms, per_step_us / 1000.0, remaining_ms, final_step);
  fail_unless(final_step < total, "the frame completed (%d/%d)", final_step, total);
  fail_unless(to_null_ms < remaining_ms / 2,
              "going to NULL took %.1f ms, the frame only needed %.1f ms more", to_null_ms,
              remaining_ms);
  gst_object_unref(pipeline);
}

}  // namespace amused_check
