// Soak test (meson -Dsoak=true, suite 'soak'): long runs with the small test model, checking
// that resident memory stays flat once warmed up.
//
//  - 10,000 buffers through amusedsrc with a moving camera (every frame regenerates tokens)
//    and a new prompt every 20 frames (the text-encoder cache keeps 8: evictions happen);
//  - 1,000 buffers of a moving picture through amusedstylize;
//  - a whole real clip (tests/data/footage/ball-subtitled.mkv: 295 VP9 frames, decoded by
//    GStreamer; its audio and subtitle pads stay unlinked. The same frames in AVI do not
//    decode: Debian 12's avidemux does not know the VP90 fourcc) through amusedstylize;
//  - 50 NULL -> PLAYING -> NULL cycles of `amusedsrc ! amusedstylize`, each loading and
//    dropping the model (the cache frees it when no element holds it).
//
// Resident set size comes from /proc/self/statm. It is sampled after a warm-up (allocator
// pools, libtorch/oneDNN caches, GStreamer's registry and buffer pools reach their working
// size in the first frames or cycles) and at the end. The growth must stay under
// kGrowthFraction of the warm RSS plus kGrowthSlackMb, about 6 MB here: allocator noise
// stays far below (measured: +0.1, +0.0 and +0.8 MB), while a leak of 7 kB per buffer over
// the 900 measured buffers does not — e.g. one 64x48 RGB frame (9 kB, the size fed to
// amusedstylize), a decoded float image or the logits of the tiny model (12-16 kB) per
// frame, or a model per state cycle (5 MB each).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "amused_check.h"

namespace {

constexpr double kGrowthFraction = 0.02;
constexpr double kGrowthSlackMb = 2.0;
constexpr int kBuffers = 1000;
constexpr int kLongBuffers = 10000;
constexpr int kClipFrames = 295;
constexpr int kCycles = 50;
constexpr int kWarmupCycles = 5;

double rss_mb() {
  long pages_total = 0, pages_resident = 0;
  FILE *f = std::fopen("/proc/self/statm", "r");
  fail_unless(f != nullptr, "cannot open /proc/self/statm");
  fail_unless_equals_int(std::fscanf(f, "%ld %ld", &pages_total, &pages_resident), 2);
  std::fclose(f);
  return static_cast<double>(pages_resident) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

void check_growth(const char *what, double warm_mb, double end_mb) {
  const double bound = warm_mb * kGrowthFraction + kGrowthSlackMb;
#ifdef __SANITIZE_ADDRESS__
  // Under AddressSanitizer the RSS is mostly its quarantine (freed blocks held back, up to
  // 256 MB, to catch use-after-free) and grows while that fills: measured +46 MB over 900
  // amusedstylize buffers with no leak. The figures are printed; LeakSanitizer, which fails
  // the test on any unreleased block at exit, does the checking there.
  g_print(
      "soak %s: RSS %.1f MB after warm-up, %.1f MB at the end: %+.2f MB (not checked "
      "under ASan; bound %.2f MB without it)\n",
      what, warm_mb, end_mb, end_mb - warm_mb, bound);
  return;
#endif
  g_print("soak %s: RSS %.1f MB after warm-up, %.1f MB at the end: %+.2f MB (bound %.2f MB)\n",
          what, warm_mb, end_mb, end_mb - warm_mb, bound);
  fail_unless(end_mb - warm_mb < bound, "%s: RSS grew by %.2f MB (from %.1f to %.1f), bound %.2f",
              what, end_mb - warm_mb, warm_mb, end_mb, bound);
}

// Counts buffers leaving the element named "under_test"; samples the RSS once the warm-up
// count has passed and, for amusedsrc, sets a new prompt every 20 frames.
struct StreamWatch {
  GstElement *element = nullptr;
  bool change_prompts = false;
  int warmup = 0;
  int buffers = 0;
  double warm_mb = 0.0;
};

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *w = static_cast<StreamWatch *>(data);
  ++w->buffers;
  if (w->buffers == w->warmup) w->warm_mb = rss_mb();
  if (w->change_prompts && w->buffers % 20 == 0) {
    gchar *prompt = g_strdup_printf("a red car on a road, take %d", w->buffers / 20);
    g_object_set(w->element, "prompt", prompt, nullptr);
    g_free(prompt);
  }
  return GST_PAD_PROBE_OK;
}

// Plays `line` (its amused element named under_test) to EOS; checks the buffer count and
// the RSS growth between the warm-up point (a tenth of the buffers) and the end.
void soak_stream(const char *what, const std::string &line, bool change_prompts, int buffers) {
  GstElement *pipeline = amused_check::parse(line);
  StreamWatch w;
  w.element = gst_bin_get_by_name(GST_BIN(pipeline), "under_test");
  w.change_prompts = change_prompts;
  w.warmup = buffers / 10;
  GstPad *pad = gst_element_get_static_pad(w.element, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &w, nullptr);
  gst_object_unref(pad);

  GstBus *bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage *eos = amused_check::wait_message(bus, GST_MESSAGE_EOS, nullptr, 3000 * GST_SECOND);
  fail_unless(eos != nullptr, "%s: no EOS", what);
  gst_message_unref(eos);
  const double end_mb = rss_mb();
  fail_unless_equals_int(w.buffers, buffers);
  gdouble average_ms = 0;
  g_object_get(w.element, "average-frame-ms", &average_ms, nullptr);
  g_print("soak %s: %d buffers, %.2f ms per frame\n", what, w.buffers, average_ms);
  check_growth(what, w.warm_mb, end_mb);

  amused_check::shut_down(pipeline);
  gst_object_unref(w.element);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

}  // namespace

GST_START_TEST(test_amusedsrc_10000_buffers) {
  soak_stream("amusedsrc",
              "amusedsrc name=under_test model=@TINY@ steps=4 camera-motion=pan-right "
              "motion-speed=4 num-buffers=" +
                  std::to_string(kLongBuffers) + " ! fakesink sync=false",
              true, kLongBuffers);
}
GST_END_TEST;

GST_START_TEST(test_amusedstylize_1000_buffers) {
  soak_stream("amusedstylize",
              "videotestsrc pattern=ball num-buffers=" + std::to_string(kBuffers) +
                  " ! video/x-raw,format=RGB,width=64,height=48 ! "
                  "amusedstylize name=under_test model=@TINY@ steps=4 strength=0.5 ! "
                  "fakesink sync=false",
              false, kBuffers);
}
GST_END_TEST;

GST_START_TEST(test_amusedstylize_whole_clip) {
  soak_stream("amusedstylize, a whole VP9 clip",
              "filesrc location=" + std::string(AMUSED_TESTS_DATA_DIR) +
                  "/footage/ball-subtitled.mkv ! decodebin ! amusedstylize name=under_test "
                  "model=@TINY@ steps=4 strength=0.5 ! fakesink sync=false",
              false, kClipFrames);
}
GST_END_TEST;

GST_START_TEST(test_50_state_cycles) {
  GstElement *pipeline = amused_check::parse(
      "amusedsrc model=@TINY@ steps=2 camera-motion=pan-down num-buffers=4 ! "
      "amusedstylize model=@TINY@ steps=2 ! fakesink sync=false");
  GstBus *bus = gst_element_get_bus(pipeline);
  double warm_mb = 0.0;
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    GstMessage *eos = amused_check::wait_message(bus, GST_MESSAGE_EOS, nullptr, 120 * GST_SECOND);
    fail_unless(eos != nullptr, "cycle %d: no EOS", cycle);
    gst_message_unref(eos);
    amused_check::shut_down(pipeline);
    gst_bus_set_flushing(bus, TRUE);  // drop what the cycle left on the bus
    gst_bus_set_flushing(bus, FALSE);
    if (cycle == kWarmupCycles) warm_mb = rss_mb();
  }
  check_growth("50 NULL<->PLAYING cycles", warm_mb, rss_mb());
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite *soak_suite(void) {
  return amused_check::one_case_suite(
      "soak",
      {AMUSED_TEST(test_amusedsrc_10000_buffers), AMUSED_TEST(test_amusedstylize_whole_clip),
       AMUSED_TEST(test_amusedstylize_1000_buffers), AMUSED_TEST(test_50_state_cycles)},
      3600);
}

GST_CHECK_MAIN(soak);
