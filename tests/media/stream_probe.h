// What a media file holds, read with libavformat/libavcodec directly (not through media/, so
// the checks do not trust the code under test): every stream's kind, codec, where it starts
// and ends on the file's timeline, and an audio stream decoded to mono samples. Shared by the
// media tests and the end-to-end tests.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace amused::probe {

struct StreamFacts {
  int index = 0;
  std::string type;   // "video", "audio", "subtitle", "data", ...
  std::string codec;  // FFmpeg's codec name
  // Seconds on the file's timeline: the stream's start time as the demuxer reports it (MP4
  // edit lists applied), else its first packet; its end: the end of its last packet, or
  // start + duration where that is later.
  double start = NAN;
  double end = NAN;
  // The packets as they are: the first one's time, the last one's end (NaN: none).
  double first_packet = NAN;
  double packets_end = NAN;
  int64_t packets = 0;
  std::vector<int> sizes;  // of every packet, in file order
  int width = 0, height = 0;
  int sample_rate = 0;
  int channels = 0;
  double length() const { return end - start; }
};

struct FileFacts {
  std::string format;
  double start = 0;  // the container's start time, seconds
  std::vector<StreamFacts> streams;

  const StreamFacts *first(const std::string &type) const {
    for (const auto &s : streams)
      if (s.type == type) return &s;
    return nullptr;
  }
  int count(const std::string &type) const {
    return static_cast<int>(std::count_if(streams.begin(), streams.end(),
                                          [&](const StreamFacts &s) { return s.type == type; }));
  }
};

inline FileFacts probe_file(const std::filesystem::path &path) {
  FileFacts facts;
  AVFormatContext *fc = nullptr;
  if (avformat_open_input(&fc, path.c_str(), nullptr, nullptr) < 0) {
    ADD_FAILURE() << "cannot open " << path;
    return facts;
  }
  avformat_find_stream_info(fc, nullptr);
  facts.format = fc->iformat->name;
  if (fc->start_time != AV_NOPTS_VALUE) facts.start = fc->start_time / double(AV_TIME_BASE);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> first(fc->nb_streams, inf), last(fc->nb_streams, -inf);
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    const AVStream *st = fc->streams[i];
    StreamFacts s;
    s.index = static_cast<int>(i);
    const char *type = av_get_media_type_string(st->codecpar->codec_type);
    s.type = type ? type : "unknown";
    s.codec = avcodec_get_name(st->codecpar->codec_id);
    s.width = st->codecpar->width;
    s.height = st->codecpar->height;
    s.sample_rate = st->codecpar->sample_rate;
    s.channels = st->codecpar->ch_layout.nb_channels;
    facts.streams.push_back(s);
  }
  AVPacket *pkt = av_packet_alloc();
  while (av_read_frame(fc, pkt) >= 0) {
    const AVStream *st = fc->streams[pkt->stream_index];
    const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts != AV_NOPTS_VALUE) {
      const double t = ts * av_q2d(st->time_base);
      first[pkt->stream_index] = std::min(first[pkt->stream_index], t);
      last[pkt->stream_index] =
          std::max(last[pkt->stream_index], t + pkt->duration * av_q2d(st->time_base));
    }
    ++facts.streams[pkt->stream_index].packets;
    facts.streams[pkt->stream_index].sizes.push_back(pkt->size);
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    const AVStream *st = fc->streams[i];
    StreamFacts &s = facts.streams[i];
    if (s.packets > 0) {
      s.first_packet = first[i];
      s.packets_end = last[i];
    }
    s.start = st->start_time != AV_NOPTS_VALUE ? st->start_time * av_q2d(st->time_base) : first[i];
    // The declared duration, unless the packets reach further (demuxers estimate some).
    s.end = last[i];
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0 && st->start_time != AV_NOPTS_VALUE) {
      s.end = std::max(s.end, s.start + st->duration * av_q2d(st->time_base));
    }
  }
  avformat_close_input(&fc);
  return facts;
}

// Opens `path`, decodes the stream `choose` picks (-1: none) and calls `on_frame` with each
// decoded frame and the stream, in order, until it returns false. `what` names the stream
// in failures ("video", "audio").
template <typename Choose, typename OnFrame>
void decode_stream(const std::filesystem::path &path, const char *what, Choose choose,
                   OnFrame on_frame) {
  AVFormatContext *fc = nullptr;
  if (avformat_open_input(&fc, path.c_str(), nullptr, nullptr) < 0) {
    ADD_FAILURE() << "cannot open " << path;
    return;
  }
  avformat_find_stream_info(fc, nullptr);
  const int index = choose(fc);
  if (index < 0) {
    avformat_close_input(&fc);
    ADD_FAILURE() << "no " << what << " stream in " << path;
    return;
  }
  const AVStream *st = fc->streams[index];
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext *dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, st->codecpar);
  dec->pkt_timebase = st->time_base;
  avcodec_open2(dec, codec, nullptr);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  bool more = true;
  auto take = [&] {
    while (more && avcodec_receive_frame(dec, frame) >= 0) {
      more = on_frame(*frame, *st);
      av_frame_unref(frame);
    }
  };
  while (more && av_read_frame(fc, pkt) >= 0) {
    if (pkt->stream_index == index) {
      avcodec_send_packet(dec, pkt);
      take();
    }
    av_packet_unref(pkt);
  }
  avcodec_send_packet(dec, nullptr);
  take();
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fc);
}

// The decoded frames of the first video stream, in order: presentation time (seconds on the
// file's timeline; NaN for a frame without one) and the duration of its packet (NaN: none).
struct VideoFrames {
  std::vector<double> times;
  std::vector<double> durations;
};

inline VideoFrames video_frames(const std::filesystem::path &path) {
  VideoFrames frames;
  const auto first_video = [](const AVFormatContext *fc) {
    for (unsigned i = 0; i < fc->nb_streams; ++i) {
      const AVStream *st = fc->streams[i];
      if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
          !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return static_cast<int>(i);
    }
    return -1;
  };
  decode_stream(path, "video", first_video, [&](const AVFrame &frame, const AVStream &st) {
    const double tb = av_q2d(st.time_base);
    const int64_t ts = frame.best_effort_timestamp;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    const int64_t duration = frame.duration;
#else
    const int64_t duration = frame.pkt_duration;
#endif
    frames.times.push_back(ts == AV_NOPTS_VALUE ? NAN : ts * tb);
    frames.durations.push_back(duration > 0 ? duration * tb : NAN);
    return true;
  });
  return frames;
}

struct Audio {
  int rate = 0;
  std::vector<float> samples;  // mono: the mean of the channels
  double seconds() const { return rate ? double(samples.size()) / rate : 0; }
  // Largest absolute sample in [from, to) seconds.
  float peak(double from, double to) const {
    float p = 0;
    const auto a = static_cast<size_t>(std::max(0.0, from * rate));
    const auto b = std::min(samples.size(), static_cast<size_t>(std::max(0.0, to * rate)));
    for (size_t i = a; i < b; ++i) p = std::max(p, std::abs(samples[i]));
    return p;
  }
};

// The first audio stream decoded (float or 16-bit formats), samples before the stream's
// start left out as the demuxer marks them.
inline Audio decode_audio(const std::filesystem::path &path) {
  Audio audio;
  const auto best_audio = [](AVFormatContext *fc) {
    return av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  };
  decode_stream(path, "audio", best_audio, [&](const AVFrame &frame, const AVStream &) {
    audio.rate = frame.sample_rate;
    const int ch = frame.ch_layout.nb_channels;
    const auto fmt = static_cast<AVSampleFormat>(frame.format);
    for (int i = 0; i < frame.nb_samples; ++i) {
      float sum = 0;
      for (int c = 0; c < ch; ++c) {
        switch (fmt) {
          case AV_SAMPLE_FMT_FLTP:
            sum += reinterpret_cast<const float *>(frame.extended_data[c])[i];
            break;
          case AV_SAMPLE_FMT_FLT:
            sum += reinterpret_cast<const float *>(frame.extended_data[0])[i * ch + c];
            break;
          case AV_SAMPLE_FMT_S16P:
            sum += reinterpret_cast<const int16_t *>(frame.extended_data[c])[i] / 32768.0f;
            break;
          case AV_SAMPLE_FMT_S16:
            sum += reinterpret_cast<const int16_t *>(frame.extended_data[0])[i * ch + c] / 32768.0f;
            break;
          default:
            ADD_FAILURE() << "sample format " << fmt << " not handled";
            return false;
        }
      }
      audio.samples.push_back(sum / ch);
    }
    return true;
  });
  return audio;
}

// A 16-bit PCM WAV file of a sine: `seconds` long at `rate`, `channels` channels, silent
// before `silent_until` seconds (a mark to check sync by).
inline void write_sine_wav(const std::filesystem::path &path, double seconds, int rate = 44100,
                           int channels = 2, double silent_until = 0, double frequency = 440,
                           double amplitude = 0.5) {
  const auto n = static_cast<uint32_t>(std::lround(seconds * rate));
  FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  auto u32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto u16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  const uint32_t bytes = n * channels * 2;
  std::fwrite("RIFF", 1, 4, f);
  u32(36 + bytes);
  std::fwrite("WAVEfmt ", 1, 8, f);
  u32(16);
  u16(1);
  u16(static_cast<uint16_t>(channels));
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(rate * channels * 2));
  u16(static_cast<uint16_t>(channels * 2));
  u16(16);
  std::fwrite("data", 1, 4, f);
  u32(bytes);
  for (uint32_t i = 0; i < n; ++i) {
    const double a = i < silent_until * rate ? 0.0 : amplitude;
    const auto v =
        static_cast<int16_t>(std::lround(32767 * a * std::sin(2 * M_PI * frequency * i / rate)));
    for (int c = 0; c < channels; ++c) u16(static_cast<uint16_t>(v));
  }
  std::fclose(f);
}

}  // namespace amused::probe
