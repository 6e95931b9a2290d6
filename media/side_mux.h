// Internal to media/: the streams a VideoWriter adds beside its video (SideStreams): opens
// their files, plans each stream (copy, encode or drop, with a note), adds the output streams
// before the header, and feeds them, read in file order, as the video advances.
#pragma once

#include <memory>
#include <vector>

#include "mux_track.h"
#include "side_streams.h"

namespace amused::media::detail {

class SideMux {
 public:
  // Adds the streams of `request` to `out`; call before the header is written. Throws
  // amused::Error naming the file for an input that cannot be opened, a soundtrack without
  // audio, an encoder that cannot be opened. Nothing is written.
  SideMux(const MuxTarget &out, const SideStreams &request);
  ~SideMux();

  const std::vector<SideStreamNote> &notes() const { return notes_; }
  // Writes what lies before `until_us` on the output timeline.
  void write_until(int64_t until_us);
  // The video ends at `end_us`: writes the rest before it and ends every stream.
  void finish(int64_t end_us);

 private:
  struct Input;
  void keep_streams_of(const SideStreams &request);
  void add_soundtrack(const SideStreams &request);
  void pump(Input &input, int64_t until_us);

  MuxTarget out_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::vector<SideStreamNote> notes_;
  bool finished_ = false;
};

}  // namespace amused::media::detail
