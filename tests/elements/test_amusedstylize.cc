// amusedstylize: any input size, timestamps, passthrough, live property changes, token
// reuse, QoS, the mask, the meta, latency, state changes and the error paths.
#include <gst/video/video.h>

#include <string>
#include <vector>

// Before amused_check.h: check.h's fail() macro clashes with <filesystem>.
#include "media/image_io.h"

#include "amused_check.h"

using namespace amused_check;

// The harness plays an element with a sink pad at once, so model-bound properties (model,
// mask) go on the element before it is handed over; `setup` may set more.
static GstHarness *stylize_harness(int width, int height, int steps = 4,
                                   void (*setup)(GstElement *) = nullptr) {
  GstElement *element = gst_element_factory_make("amusedstylize", nullptr);
  g_object_set(element, "model", tiny_model().c_str(), "steps", steps, nullptr);
  if (setup) setup(element);
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_object_unref(element);
  gchar *caps = g_strdup_printf(
      "video/x-raw, format=(string)RGB, width=(int)%d, height=(int)%d, framerate=(fraction)10/1",
      width, height);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  return h;
}

// A moving pattern: frame `k` is shifted by `k` pixels.
static GstBuffer *make_frame(int width, int height, int k, GstClockTime pts = GST_CLOCK_TIME_NONE) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, width, height);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame frame;
  fail_unless(gst_video_frame_map(&frame, &info, buf, GST_MAP_WRITE));
  auto *data = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      guint8 *p = data + y * stride + x * 3;
      p[0] = static_cast<guint8>(((x + k) * 255) / width);
      p[1] = static_cast<guint8>((y * 255) / height);
      p[2] = static_cast<guint8>(((x + y + k) % 16) * 16);
    }
  gst_video_frame_unmap(&frame);
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    GST_BUFFER_PTS(buf) = pts;
    GST_BUFFER_DURATION(buf) = 100 * GST_MSECOND;
    GST_BUFFER_OFFSET(buf) = static_cast<guint64>(k);
  }
  return buf;
}

// Any size: 48x40 (resized for the model) and 50x30 (rows padded to 152 bytes) come back at
// their own size, with their timestamps.
static void check_size(int width, int height) {
  GstHarness *h = stylize_harness(width, height);
  for (int k = 0; k < 3; ++k) {
    GstBuffer *in = make_frame(width, height, k * 4, k * 100 * GST_MSECOND);
    GstBuffer *in_copy = gst_buffer_copy(in);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless(out != nullptr);
    fail_unless_equals_int(gst_buffer_get_size(out), gst_buffer_get_size(in_copy));
    fail_unless_equals_uint64(GST_BUFFER_PTS(out), k * 100 * GST_MSECOND);
    fail_unless_equals_uint64(GST_BUFFER_DURATION(out), 100 * GST_MSECOND);
    GstAmusedMeta *meta = meta_of(out);
    fail_unless_equals_uint64(meta->frame_index, static_cast<guint64>(k));
    fail_unless(meta->generation_time > 0);
    fail_unless(has_content(out));
    fail_unless(mean_abs_diff(out, in_copy) > 1.0, "frame %d was not restyled", k);
    gst_buffer_unref(out);
    gst_buffer_unref(in_copy);
  }
  gst_harness_teardown(h);
}

GST_START_TEST(test_any_size_resized_and_back) { check_size(48, 40); }
GST_END_TEST;

GST_START_TEST(test_padded_rows) { check_size(50, 30); }
GST_END_TEST;

GST_START_TEST(test_native_size) {
  check_size(32, 32);
  GstHarness *h = stylize_harness(32, 32);
  gchar *model = nullptr;
  g_object_get(h->element, "model", &model, nullptr);
  const std::string tiny = tiny_model();
  fail_unless_equals_string(model, tiny.c_str());
  g_free(model);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_strength_zero_is_passthrough) {
  GstHarness *h = stylize_harness(32, 32);
  g_object_set(h->element, "strength", 0.0, nullptr);
  GstBuffer *in = make_frame(32, 32, 0, 0);
  gst_buffer_ref(in);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out == in, "strength=0 did not pass the buffer through");
  fail_unless(gst_buffer_get_amused_meta(out) == nullptr);
  gst_buffer_unref(out);
  gst_buffer_unref(in);
  // Raised while playing: the next frame is restyled.
  g_object_set(h->element, "strength", 0.8, nullptr);
  in = make_frame(32, 32, 1, 100 * GST_MSECOND);
  GstBuffer *in_copy = gst_buffer_copy(in);
  out = gst_harness_push_and_pull(h, in);
  fail_unless(out != in_copy);
  meta_of(out);
  fail_unless(mean_abs_diff(out, in_copy) > 1.0);
  gst_buffer_unref(out);
  gst_buffer_unref(in_copy);
  gst_harness_teardown(h);
}
GST_END_TEST;

// num-buffers: that many frames, restyled or passed through, then every buffer is refused
// with EOS (identity's eos-after lets later ones through again); a change while PLAYING and
// a flushing seek count on from where they are.
GST_START_TEST(test_num_buffers_ends_the_stream) {
  GstHarness *h =
      stylize_harness(32, 32, 2, [](GstElement *e) { g_object_set(e, "num-buffers", 2, nullptr); });
  int k = 0;
  auto push = [&](GstFlowReturn want) {
    const GstClockTime pts = static_cast<GstClockTime>(k) * 100 * GST_MSECOND;
    fail_unless_equals_int(gst_harness_push(h, make_frame(32, 32, k, pts)), want);
    ++k;
  };
  push(GST_FLOW_OK);
  g_object_set(h->element, "strength", 0.0, nullptr);  // passthrough counts too
  push(GST_FLOW_OK);
  for (int i = 0; i < 3; ++i) push(GST_FLOW_EOS);
  fail_unless_equals_int(gst_harness_buffers_received(h), 2);

  g_object_set(h->element, "num-buffers", 3, "strength", 0.5, nullptr);
  push(GST_FLOW_OK);
  push(GST_FLOW_EOS);
  fail_unless_equals_int(gst_harness_buffers_received(h), 3);

  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  for (int i = 0; i < 3; ++i) push(GST_FLOW_OK);
  push(GST_FLOW_EOS);
  fail_unless_equals_int(gst_harness_buffers_received(h), 6);

  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "num-buffers");
  fail_unless(spec != nullptr);
  fail_unless_equals_int(G_PARAM_SPEC_INT(spec)->minimum, -1);
  gst_harness_teardown(h);
}
GST_END_TEST;

// The harness pushes synchronously, so "the next frame" is exact here.
GST_START_TEST(test_prompt_change_applies_to_next_frame) {
  GstHarness *h = stylize_harness(32, 32);
  g_object_set(h->element, "prompt", "a red car", "strength", 1.0, nullptr);
  GstBuffer *a = gst_harness_push_and_pull(h, make_frame(32, 32, 0, 0));
  fail_unless_equals_uint64(meta_of(a)->prompt_hash, gst_amused_meta_prompt_hash("a red car"));
  g_object_set(h->element, "prompt", "a green forest", nullptr);
  GstBuffer *b = gst_harness_push_and_pull(h, make_frame(32, 32, 0, 100 * GST_MSECOND));
  GstAmusedMeta *mb = meta_of(b);
  fail_unless_equals_uint64(mb->prompt_hash, gst_amused_meta_prompt_hash("a green forest"));
  fail_unless(mb->keyframe, "a new prompt starts a new anchor");
  fail_unless(has_content(b));
  fail_unless(mean_abs_diff(a, b) > 1.0, "the new prompt did not change the picture");
  gst_buffer_unref(a);
  gst_buffer_unref(b);
  gst_harness_teardown(h);
}
GST_END_TEST;

// An unchanged source frame keeps every stylized token: the output repeats bit for bit.
GST_START_TEST(test_static_input_is_stable) {
  GstHarness *h = stylize_harness(48, 40);
  GstBuffer *a = gst_harness_push_and_pull(h, make_frame(48, 40, 0, 0));
  GstBuffer *b = gst_harness_push_and_pull(h, make_frame(48, 40, 0, 100 * GST_MSECOND));
  fail_unless(same_pixels(a, b));
  fail_unless_equals_int(meta_of(b)->steps_run, 0);
  fail_unless_equals_int(meta_of(b)->tokens_regenerated, 0);
  gst_buffer_unref(a);
  gst_buffer_unref(b);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_same_seed_same_frames) {
  std::vector<GstBuffer *> runs[2];
  for (auto &run : runs) {
    GstHarness *h = stylize_harness(48, 40);
    g_object_set(h->element, "seed", G_GUINT64_CONSTANT(5), "cross-frame-attention", 2, nullptr);
    for (int k = 0; k < 4; ++k)
      run.push_back(gst_harness_push_and_pull(h, make_frame(48, 40, k * 6, k * GST_MSECOND)));
    gst_harness_teardown(h);
  }
  for (int k = 0; k < 4; ++k) {
    fail_unless(same_pixels(runs[0][k], runs[1][k]), "frame %d differs", k);
    gst_buffer_unref(runs[0][k]);
    gst_buffer_unref(runs[1][k]);
  }
}
GST_END_TEST;

// Late (a QoS event puts the earliest time past the frame): the previous stylized frame is
// output without regenerating, a QoS message says so, frames-skipped counts it. On time
// again: regenerated.
GST_START_TEST(test_qos_skips_regeneration) {
  GstHarness *h = stylize_harness(32, 32);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *first_buf = gst_harness_push_and_pull(h, make_frame(32, 32, 0, 0));
  fail_if(meta_of(first_buf)->skipped);

  fail_unless(gst_harness_push_upstream_event(
      h, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, 5 * GST_SECOND, 100 * GST_MSECOND)));
  GstBuffer *late = gst_harness_push_and_pull(h, make_frame(32, 32, 8, 100 * GST_MSECOND));
  GstAmusedMeta *meta = meta_of(late);
  fail_unless(meta->skipped);
  fail_unless_equals_int(meta->steps_run, 0);
  fail_unless(same_pixels(late, first_buf), "a skipped frame repeats the previous output");
  fail_unless_equals_uint64(GST_BUFFER_PTS(late), 100 * GST_MSECOND);
  guint64 skipped = 0;
  g_object_get(h->element, "frames-skipped", &skipped, nullptr);
  fail_unless_equals_uint64(skipped, 1);
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_QOS);
  fail_unless(msg != nullptr, "no QoS message");
  GstFormat format;
  guint64 processed, dropped;
  gst_message_parse_qos_stats(msg, &format, &processed, &dropped);
  fail_unless_equals_int(format, GST_FORMAT_BUFFERS);
  fail_unless_equals_uint64(processed, 1);
  fail_unless_equals_uint64(dropped, 1);
  gboolean live;
  guint64 running_time, stream_time, timestamp, duration;
  gst_message_parse_qos(msg, &live, &running_time, &stream_time, &timestamp, &duration);
  fail_unless_equals_uint64(timestamp, 100 * GST_MSECOND);
  gst_message_unref(msg);

  fail_unless(gst_harness_push_upstream_event(
      h, gst_event_new_qos(GST_QOS_TYPE_OVERFLOW, 1.0, -50 * GST_MSECOND, 200 * GST_MSECOND)));
  GstBuffer *on_time = gst_harness_push_and_pull(h, make_frame(32, 32, 8, 200 * GST_MSECOND));
  fail_if(meta_of(on_time)->skipped);
  fail_if(same_pixels(on_time, first_buf), "the frame after catching up was not regenerated");

  // qos=false: never skip.
  g_object_set(h->element, "qos", FALSE, nullptr);
  fail_unless(gst_harness_push_upstream_event(
      h, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, 5 * GST_SECOND, 300 * GST_MSECOND)));
  GstBuffer *forced = gst_harness_push_and_pull(h, make_frame(32, 32, 16, 300 * GST_MSECOND));
  fail_if(meta_of(forced)->skipped);

  gst_buffer_unref(first_buf);
  gst_buffer_unref(late);
  gst_buffer_unref(on_time);
  gst_buffer_unref(forced);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

// work-scale: the model works at that many times its native pixel count (the tiny model's
// 32x32 is 64 tokens; four times the pixels is 256), and the frame keeps the input's size.
GST_START_TEST(test_work_scale_sets_the_working_size) {
  for (const double scale : {1.0, 4.0}) {
    GstHarness *h = stylize_harness(
        32, 32, 2, [](GstElement *e) { g_object_set(e, "strength", 1.0, nullptr); });
    g_object_set(h->element, "work-scale", scale, nullptr);
    GstBuffer *out = gst_harness_push_and_pull(h, make_frame(32, 32, 0, 0));
    fail_unless_equals_int(gst_buffer_get_size(out), 32 * 32 * 3);
    fail_unless_equals_int(meta_of(out)->tokens_total, scale == 1.0 ? 64 : 256);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

static std::string mask_path;

// Restyle only the left half: the right half passes through exactly.
GST_START_TEST(test_mask_limits_the_region) {
  const int w = 48, hgt = 40;
  amused::Image mask;
  mask.width = w;
  mask.height = hgt;
  mask.channels = 1;
  mask.pixels.resize(w * hgt);
  for (int y = 0; y < hgt; ++y)
    for (int x = 0; x < w; ++x) mask.pixels[y * w + x] = x < w / 2 ? 255 : 0;
  const TempDir folder("amusedstylize-test");
  mask_path = (folder.path() / "left-half.png").string();
  amused::media::write_png(mask_path, mask);

  GstHarness *h = stylize_harness(w, hgt, 4, [](GstElement *e) {
    g_object_set(e, "mask", mask_path.c_str(), "strength", 1.0, nullptr);
  });
  gchar *got = nullptr;
  g_object_get(h->element, "mask", &got, nullptr);
  fail_unless_equals_string(got, mask_path.c_str());
  g_free(got);
  GstBuffer *in = make_frame(w, hgt, 0, 0);
  GstBuffer *in_copy = gst_buffer_copy(in);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  GstMapInfo mi, mo;
  fail_unless(gst_buffer_map(in_copy, &mi, GST_MAP_READ));
  fail_unless(gst_buffer_map(out, &mo, GST_MAP_READ));
  const int stride = w * 3;
  double left = 0;
  for (int y = 0; y < hgt; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const int i = y * stride + x * 3 + c;
        if (x >= w / 2) {
          fail_unless_equals_int(mo.data[i], mi.data[i]);
        } else {
          left += std::abs(int(mo.data[i]) - int(mi.data[i]));
        }
      }
  fail_unless(left / (w / 2 * hgt * 3) > 1.0, "the masked half was not restyled");
  gst_buffer_unmap(in_copy, &mi);
  gst_buffer_unmap(out, &mo);
  gst_buffer_unref(out);
  gst_buffer_unref(in_copy);
  gst_harness_teardown(h);
}
GST_END_TEST;

// The meta survives conversion, so applications see it after videoconvert.
GST_START_TEST(test_meta_survives_videoconvert) {
  GstHarness *h = gst_harness_new_parse(
      ("amusedstylize model=" + tiny_model() + " steps=2 ! videoconvert").c_str());
  gst_harness_set_src_caps_str(h, "video/x-raw, format=RGB, width=32, height=32, framerate=10/1");
  gst_harness_set_sink_caps_str(h, "video/x-raw, format=I420, width=32, height=32");
  GstBuffer *out = gst_harness_push_and_pull(h, make_frame(32, 32, 0, 0));
  fail_unless(out != nullptr);
  fail_unless_equals_int(gst_buffer_get_size(out), 32 * 32 * 3 / 2);
  fail_unless_equals_uint64(meta_of(out)->steps, 2);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Latency = upstream's + the measured per-frame time.
GST_START_TEST(test_latency_query) {
  GstElement *pipeline = parse(
      "videotestsrc name=src is-live=true ! video/x-raw,format=RGB,width=32,height=32,"
      "framerate=30/1 ! amusedstylize name=st model=@TINY@ steps=12 ! fakesink");
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *st = gst_bin_get_by_name(GST_BIN(pipeline), "st");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 60 * GST_SECOND),
                         GST_STATE_CHANGE_SUCCESS);
  GstQuery *q = gst_query_new_latency();
  fail_unless(gst_element_query(src, q));
  gboolean live;
  GstClockTime up_min, up_max, min, max;
  gst_query_parse_latency(q, &live, &up_min, &up_max);
  gst_query_unref(q);
  GstPad *pad = gst_element_get_static_pad(st, "src");
  q = gst_query_new_latency();
  fail_unless(gst_pad_query(pad, q));
  gst_query_parse_latency(q, &live, &min, &max);
  gst_query_unref(q);
  fail_unless(live);
  fail_unless(min > up_min, "amusedstylize added no latency (%" GST_TIME_FORMAT ")",
              GST_TIME_ARGS(min));
  gst_object_unref(pad);
  shut_down(pipeline);
  gst_object_unref(src);
  gst_object_unref(st);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_state_cycles) {
  GstElement *pipeline = parse(
      "videotestsrc pattern=ball ! video/x-raw,format=RGB,width=40,height=24 ! "
      "amusedstylize model=@TINY@ steps=2 ! fakesink name=sink signal-handoffs=true "
      "sync=false");
  gint count = 0;
  count_handoffs(pipeline, &count);
  for (int cycle = 0; cycle < 20; ++cycle) {
    play_for_frames(pipeline, &count, 3, 5000, cycle);
    shut_down(pipeline);
  }
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_null_in_the_middle_of_a_frame) {
  check_null_mid_frame(
      "videotestsrc ! video/x-raw,format=RGB,width=32,height=32 ! "
      "amusedstylize model=@TINY@ steps=1000 strength=1.0 ! fakesink",
      "amusedstylize", 1000, 20);
}
GST_END_TEST;

// ---------------------------------------------------------------------------------------
// Errors

GST_START_TEST(test_error_missing_mask) {
  expect_error(
      "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=32,height=32 ! "
      "amusedstylize model=@TINY@ mask=/nonexistent/mask.png ! fakesink",
      "amusedstylize", {"/nonexistent/mask.png"});
}
GST_END_TEST;

GST_START_TEST(test_error_mask_not_a_png) {
  const std::string path = std::string(AMUSED_TESTS_DATA_DIR) + "/media/not_a_png.png";
  expect_error(
      "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=32,height=32 ! "
      "amusedstylize model=@TINY@ mask=" +
          path + " ! fakesink",
      "amusedstylize", {path, "PNG"});
}
GST_END_TEST;

GST_START_TEST(test_error_missing_model_folder) {
  expect_error(
      "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=32,height=32 ! "
      "amusedstylize model=/nonexistent/amused-model ! fakesink",
      "amusedstylize", {"/nonexistent/amused-model", "does not exist"});
}
GST_END_TEST;

GST_START_TEST(test_error_device_cuda) {
  expect_error(
      "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=32,height=32 ! "
      "amusedstylize model=@TINY@ device=cuda:0 ! fakesink",
      "amusedstylize", {"cuda:0", "not available"});
}
GST_END_TEST;

static Suite *amusedstylize_suite(void) {
  return one_case_suite(
      "amusedstylize",
      {AMUSED_TEST(test_any_size_resized_and_back), AMUSED_TEST(test_padded_rows),
       AMUSED_TEST(test_native_size), AMUSED_TEST(test_strength_zero_is_passthrough),
       AMUSED_TEST(test_num_buffers_ends_the_stream),
       AMUSED_TEST(test_prompt_change_applies_to_next_frame),
       AMUSED_TEST(test_static_input_is_stable), AMUSED_TEST(test_same_seed_same_frames),
       AMUSED_TEST(test_qos_skips_regeneration), AMUSED_TEST(test_mask_limits_the_region),
       AMUSED_TEST(test_work_scale_sets_the_working_size),
       AMUSED_TEST(test_meta_survives_videoconvert), AMUSED_TEST(test_latency_query),
       AMUSED_TEST(test_state_cycles), AMUSED_TEST(test_null_in_the_middle_of_a_frame),
       AMUSED_TEST(test_error_missing_mask), AMUSED_TEST(test_error_mask_not_a_png),
       AMUSED_TEST(test_error_missing_model_folder), AMUSED_TEST(test_error_device_cuda)});
}

GST_CHECK_MAIN(amusedstylize);
