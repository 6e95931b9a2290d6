// Generic states test (gst-plugins-*/tests/check/generic/states.c): every element of the
// amused plugin, with default properties (the embedded default model), goes through the
// state transitions up and down, repeatedly, standalone and in a pipeline.
#include <vector>

#include "amused_check.h"

static std::vector<GstElementFactory *> amused_factories() {
  std::vector<GstElementFactory *> out;
  GList *features = gst_registry_get_feature_list_by_plugin(gst_registry_get(), "amused");
  for (GList *l = features; l; l = l->next)
    if (GST_IS_ELEMENT_FACTORY(l->data))
      out.push_back(GST_ELEMENT_FACTORY(gst_object_ref(GST_OBJECT(l->data))));
  gst_plugin_feature_list_free(features);
  return out;
}

static void go(GstElement *element, GstState state) {
  const GstStateChangeReturn ret = gst_element_set_state(element, state);
  fail_if(ret == GST_STATE_CHANGE_FAILURE, "%s: %s failed", GST_OBJECT_NAME(element),
          gst_element_state_get_name(state));
  fail_if(
      gst_element_get_state(element, nullptr, nullptr, 60 * GST_SECOND) == GST_STATE_CHANGE_FAILURE,
      "%s: %s failed asynchronously", GST_OBJECT_NAME(element), gst_element_state_get_name(state));
}

GST_START_TEST(test_both_factories_registered) {
  auto factories = amused_factories();
  fail_unless_equals_int(factories.size(), 2);
  for (auto *f : factories) gst_object_unref(f);
  GstElementFactory *src = gst_element_factory_find("amusedsrc");
  GstElementFactory *st = gst_element_factory_find("amusedstylize");
  fail_unless(src && st);
  fail_unless_equals_string(gst_element_factory_get_metadata(src, GST_ELEMENT_METADATA_KLASS),
                            "Source/Video");
  fail_unless_equals_string(gst_element_factory_get_metadata(st, GST_ELEMENT_METADATA_KLASS),
                            "Filter/Effect/Video");
  gst_object_unref(src);
  gst_object_unref(st);
}
GST_END_TEST;

GST_START_TEST(test_state_changes_up_and_down_seq) {
  for (auto *factory : amused_factories()) {
    GstElement *element = gst_element_factory_create(factory, nullptr);
    fail_unless(element != nullptr);
    GST_INFO("%s up and down", GST_OBJECT_NAME(factory));
    for (int i = 0; i < 3; ++i) {
      go(element, GST_STATE_READY);
      go(element, GST_STATE_PAUSED);
      go(element, GST_STATE_PLAYING);
      go(element, GST_STATE_PAUSED);
      go(element, GST_STATE_READY);
      go(element, GST_STATE_NULL);
      go(element, GST_STATE_PAUSED);
      go(element, GST_STATE_READY);
      go(element, GST_STATE_PLAYING);
      go(element, GST_STATE_PAUSED);
      go(element, GST_STATE_NULL);
    }
    gst_object_unref(element);
    gst_object_unref(factory);
  }
}
GST_END_TEST;

GST_START_TEST(test_state_changes_up_and_down_in_pipeline) {
  GstElement *pipeline = amused_check::parse(
      "amusedsrc steps=2 ! videoconvert ! video/x-raw,format=RGB ! amusedstylize steps=2 ! "
      "fakesink sync=false");
  for (int i = 0; i < 5; ++i) {
    go(pipeline, GST_STATE_READY);
    go(pipeline, GST_STATE_PAUSED);
    go(pipeline, GST_STATE_PLAYING);
    go(pipeline, GST_STATE_PAUSED);
    go(pipeline, GST_STATE_PLAYING);
    go(pipeline, GST_STATE_READY);
    go(pipeline, GST_STATE_PLAYING);
    go(pipeline, GST_STATE_NULL);
  }
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite *states_suite(void) {
  return amused_check::one_case_suite(
      "states",
      {AMUSED_TEST(test_both_factories_registered), AMUSED_TEST(test_state_changes_up_and_down_seq),
       AMUSED_TEST(test_state_changes_up_and_down_in_pipeline)});
}

GST_CHECK_MAIN(states);
