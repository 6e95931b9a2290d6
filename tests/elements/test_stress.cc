// GStreamer under stress: events, state changes and property writes that arrive while a frame
// is being generated, several elements and pipelines at once. Every case must end cleanly:
// no deadlock (a timeout fails the test), no error, no frame made with the wrong settings.
// The tiny model with many steps gives frames long enough to be interrupted.
#include <gst/video/video.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "amused_check.h"

using namespace amused_check;

// Sets `pipeline` to PLAYING and waits (at most 60 s) until an amused element reported step
// `step` of a frame of `total` steps, through the debug log of `category`.
static void wait_for_step(GstElement *pipeline, const char *category, int total, int step) {
  StepWatcher steps(category, total);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  const int reached = steps.wait_for(step, 60);
  fail_unless(reached >= step, "no frame reached step %d (at %d)", step, reached);
}

// Counts the buffers a fakesink named "sink" (signal-handoffs=true) receives.
static void count_buffers(GstElement *pipeline, std::atomic<int> *count) {
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff",
                   G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer counter) {
                     ++*static_cast<std::atomic<int> *>(counter);
                   }),
                   count);
  gst_object_unref(sink);
}

// Waits for EOS (at most 120 s) and shuts the pipeline down.
static void finish_at_eos(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *eos = wait_message(bus, GST_MESSAGE_EOS, nullptr, 120 * GST_SECOND);
  fail_unless(eos != nullptr, "no EOS");
  gst_message_unref(eos);
  gst_object_unref(bus);
  shut_down(pipeline);
}

// A flushing seek to the start while amusedsrc is in the middle of a frame: the frame is
// cancelled, the stream restarts from frame 0 and runs to EOS.
GST_START_TEST(test_flushing_seek_during_a_frame) {
  GstElement *pipeline =
      parse("amusedsrc model=@TINY@ steps=60 num-buffers=3 ! fakesink name=sink sync=false");
  wait_for_step(pipeline, "amusedsrc", 60, 5);
  fail_unless(gst_element_seek_simple(pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0));
  finish_at_eos(pipeline);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// A new size in the middle of a stylized stream: the element renegotiates, starts a new
// anchor and gives frames of the new size.
GST_START_TEST(test_caps_change_mid_stream) {
  GstElement *e = gst_element_factory_make("amusedstylize", nullptr);
  g_object_set(e, "model", tiny_model().c_str(), "steps", 2, "strength", 0.8, nullptr);
  GstHarness *h = gst_harness_new_with_element(e, "sink", "src");
  gst_object_unref(e);
  for (const auto &size : std::vector<std::pair<int, int>>{{32, 32}, {48, 24}, {20, 36}}) {
    gchar *caps = g_strdup_printf("video/x-raw,format=RGB,width=%d,height=%d,framerate=10/1",
                                  size.first, size.second);
    gst_harness_set_src_caps_str(h, caps);
    g_free(caps);
    for (int k = 0; k < 2; ++k) {
      GstVideoInfo info;
      gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, size.first, size.second);
      GstBuffer *in = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
      gst_buffer_memset(in, 0, static_cast<guint8>(40 + 60 * k), GST_VIDEO_INFO_SIZE(&info));
      GstBuffer *out = gst_harness_push_and_pull(h, in);
      fail_unless_equals_int(gst_buffer_get_size(out), GST_VIDEO_INFO_SIZE(&info));
      if (k == 0) fail_unless(meta_of(out)->keyframe, "a new size starts a new anchor");
      gst_buffer_unref(out);
    }
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

// EOS while a frame is being generated: the frame completes (EOS is serialized after it) and
// the pipeline ends at EOS, nothing lost, nothing hanging. EOS is sent once the pipeline is
// PLAYING (its first frame prerolled), during the second frame.
GST_START_TEST(test_eos_during_a_long_frame) {
  GstElement *pipeline = parse(
      "videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=32,height=32,framerate=5/1 ! "
      "amusedstylize model=@TINY@ steps=80 strength=1.0 reuse-tokens=false ! "
      "fakesink name=sink sync=false "
      "signal-handoffs=true");
  std::atomic<int> frames{0};
  count_buffers(pipeline, &frames);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 60 * GST_SECOND),
                         GST_STATE_CHANGE_SUCCESS);
  const int before = frames;
  wait_for_step(pipeline, "amusedstylize", 80, 3);
  gst_element_send_event(pipeline, gst_event_new_eos());
  finish_at_eos(pipeline);
  fail_unless(frames > before, "the frame in progress was lost");
  gst_object_unref(pipeline);
}
GST_END_TEST;

// PLAYING -> NULL in the middle of a frame, a hundred times: every shutdown is immediate
// (the frame is cancelled between steps) and the element starts again each time.
GST_START_TEST(test_null_mid_frame_a_hundred_times) {
  for (int i = 0; i < 100; ++i) {
    GstElement *pipeline =
        parse(i % 2 ? "amusedsrc model=@TINY@ steps=400 ! fakesink sync=false"
                    : "videotestsrc ! video/x-raw,format=RGB,width=32,height=32 ! "
                      "amusedstylize model=@TINY@ steps=400 strength=1.0 ! fakesink sync=false");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_usleep(g_random_int_range(0, 20000));
    shut_down(pipeline);
    gst_object_unref(pipeline);
  }
}
GST_END_TEST;

// Properties written from another thread every millisecond while PLAYING: every frame is
// made with settings that were written (never a torn value), and runs no more steps than
// its own setting.
GST_START_TEST(test_properties_written_every_millisecond) {
  GstElement *pipeline = parse(
      "amusedsrc name=src model=@TINY@ prompt=first steps=4 num-buffers=30 "
      "camera-motion=pan-right ! "
      "fakesink name=sink sync=false signal-handoffs=true");
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  struct Seen {
    std::atomic<int> frames{0}, inconsistent{0};
  } seen;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(
      sink, "handoff", G_CALLBACK(+[](GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
        auto *s = static_cast<Seen *>(data);
        GstAmusedMeta *meta = gst_buffer_get_amused_meta(buffer);
        ++s->frames;
        const guint64 even = gst_amused_meta_prompt_hash("even");
        const guint64 odd = gst_amused_meta_prompt_hash("odd");
        const guint64 first = gst_amused_meta_prompt_hash("first");
        if (meta->prompt_hash != even && meta->prompt_hash != odd && meta->prompt_hash != first)
          ++s->inconsistent;
        if (meta->steps != 4 && meta->steps != 6) ++s->inconsistent;
        if (meta->steps_run > meta->steps) ++s->inconsistent;
      }),
      &seen);
  gst_object_unref(sink);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      g_object_set(src, "prompt", i % 2 ? "odd" : "even", "steps", i % 2 ? 6 : 4, "motion-speed",
                   1.0 + i % 5, "guidance-scale", 1.0 + i % 3, "seed", guint64(i), nullptr);
      g_usleep(1000);
    }
  });
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  finish_at_eos(pipeline);
  stop = true;
  writer.join();
  fail_unless_equals_int(seen.frames, 30);
  fail_unless_equals_int(seen.inconsistent, 0);
  gst_object_unref(src);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// Two amused elements with different thread counts in one pipeline, and two pipelines on one
// shared model at the same time: all run to EOS with every frame.
GST_START_TEST(test_two_elements_and_two_pipelines_share_a_model) {
  const std::string line =
      "amusedsrc model=@TINY@ steps=3 threads=1 num-buffers=6 ! amusedstylize model=@TINY@ "
      "steps=3 threads=2 strength=0.6 ! fakesink sync=false";
  GstElement *a = parse(line), *b = parse(line);
  gst_element_set_state(a, GST_STATE_PLAYING);
  gst_element_set_state(b, GST_STATE_PLAYING);
  for (GstElement *p : {a, b}) {
    finish_at_eos(p);
    gst_object_unref(p);
  }
}
GST_END_TEST;

static Suite *stress_suite(void) {
  return one_case_suite(
      "stress",
      {AMUSED_TEST(test_flushing_seek_during_a_frame), AMUSED_TEST(test_caps_change_mid_stream),
       AMUSED_TEST(test_eos_during_a_long_frame), AMUSED_TEST(test_null_mid_frame_a_hundred_times),
       AMUSED_TEST(test_properties_written_every_millisecond),
       AMUSED_TEST(test_two_elements_and_two_pipelines_share_a_model)},
      600);
}

GST_CHECK_MAIN(stress);
