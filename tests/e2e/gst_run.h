// Running GStreamer pipelines (gst-launch syntax, in this process) and example programs
// (child processes, with extra environment variables) for the end-to-end tests.
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process_run.h"

namespace amused::e2e {

// Parses `line` with gst_parse_launch, plays it to EOS and returns "" — or the first
// error's text ("element: message | debug"), also when the pipeline cannot be parsed or
// does not finish within `timeout`.
inline std::string run_launch(const std::string &line, GstClockTime timeout = 300 * GST_SECOND) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(line.c_str(), &error);
  if (!pipeline || error) {
    std::string text = "cannot parse: " + std::string(error ? error->message : "?");
    g_clear_error(&error);
    if (pipeline) gst_object_unref(pipeline);
    return text;
  }
  std::string result;
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    result = "cannot go to PLAYING";
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (!msg) {
    result = "no EOS within the timeout";
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    result = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " + err->message + " | " +
             (debug ? debug : "");
    g_clear_error(&err);
    g_free(debug);
  } else {
    result.clear();  // EOS: the file is complete (muxers finalize on EOS)
  }
  if (msg) gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return result;
}

inline std::vector<std::string> lines_starting_with(const std::string &text,
                                                    const std::string &prefix) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (line.compare(0, prefix.size(), prefix) == 0) lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

}  // namespace amused::e2e
