// Internal to media/: RAII owners for FFmpeg objects and FFmpeg error formatting.
// Public media headers never include this, so callers do not see FFmpeg headers.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <filesystem>
#include <memory>
#include <string>

namespace amused::media::detail {

struct CodecContextDeleter {
  void operator()(AVCodecContext *c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame *f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket *p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext *s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext *s) const { swr_free(&s); }
};
struct AudioFifoDeleter {
  void operator()(AVAudioFifo *f) const { av_audio_fifo_free(f); }
};
// Demuxer contexts come from avformat_open_input and must be closed with its counterpart.
struct InputContextDeleter {
  void operator()(AVFormatContext *f) const { avformat_close_input(&f); }
};
// Muxer contexts own their AVIOContext only when we opened one (formats without
// AVFMT_NOFILE); closing it here makes an early error path release the file handle.
struct OutputContextDeleter {
  void operator()(AVFormatContext *f) const {
    if (f->pb != nullptr && !(f->oformat->flags & AVFMT_NOFILE)) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;
using InputContextPtr = std::unique_ptr<AVFormatContext, InputContextDeleter>;
using OutputContextPtr = std::unique_ptr<AVFormatContext, OutputContextDeleter>;

// AVDictionary is handed around as AVDictionary**, which unique_ptr cannot express.
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary &) = delete;
  Dictionary &operator=(const Dictionary &) = delete;
  ~Dictionary() { av_dict_free(&dict_); }

  void set(const char *key, const std::string &value) {
    av_dict_set(&dict_, key, value.c_str(), 0);
  }
  AVDictionary **get() { return &dict_; }
  int count() const { return av_dict_count(dict_); }
  // The keys left after an open call are the options nobody recognised.
  std::string keys() const;

 private:
  AVDictionary *dict_ = nullptr;
};

// av_strerror text, e.g. "Permission denied" or "Invalid data found when processing input".
std::string av_error_string(int err);

// Throws amused::Error("<path>: <what>: <av_strerror text>").
[[noreturn]] void throw_av_error(const std::filesystem::path &path, const std::string &what,
                                 int err);
// Throws amused::Error("<path>: <what>").
[[noreturn]] void throw_error(const std::filesystem::path &path, const std::string &what);

FramePtr make_frame();
PacketPtr make_packet();

// Where a file's timeline starts (its container start time, as players count) in ticks of
// `stream`'s time base; a stream that starts the file gets its own start time exactly.
int64_t timeline_origin(const AVFormatContext *format, const AVStream *stream);

// The duration of the packet a decoded frame came from (0 when unknown), and whether it is a
// keyframe, across FFmpeg versions.
int64_t frame_packet_duration(const AVFrame *frame);
bool is_key_frame(const AVFrame *frame);

// "stream 2 (subtitle, subrip)", as errors and notes name streams.
std::string describe_stream(const AVStream *stream);

}  // namespace amused::media::detail
