#include "side_mux.h"

#include <algorithm>

#include "amused.h"
#include "audio_transcode.h"
#include "stream_copy.h"
#include "stream_plan.h"

namespace amused::media::detail {

namespace {

// How far past the video's end packets are still read at the end: the streams of a file are
// interleaved only roughly, so an audio packet before the end may follow a later one.
constexpr int64_t kReadPastEndUs = 1'000'000;
// The side input seeks this far before the span's start, so the decoders and the copy of
// packets that straddle the start see what precedes it whatever the demuxer's precision.
constexpr int64_t kSeekMarginUs = 1'000'000;

std::string media_type(const AVStream *st) {
  const char *t = av_get_media_type_string(st->codecpar->codec_type);
  return t ? t : "unknown";
}

InputContextPtr open_input(const std::filesystem::path &path, const char *role) {
  AVFormatContext *fc = nullptr;
  int err = avformat_open_input(&fc, path.c_str(), nullptr, nullptr);
  if (err < 0) throw_av_error(path, std::string("cannot open (") + role + ")", err);
  InputContextPtr format(fc);
  err = avformat_find_stream_info(fc, nullptr);
  if (err < 0) throw_av_error(path, "cannot read stream information", err);
  return format;
}

}  // namespace

struct SideMux::Input {
  std::filesystem::path path;
  InputContextPtr format;
  std::vector<std::unique_ptr<Track>> tracks;  // by input stream index (null: not used)
  int64_t offset_us = 0;                       // where the output's 0 lies, in microseconds
  PacketPtr packet;
  PacketPtr pending;  // read, but at or after the last `until`
  bool has_pending = false;
  bool done = false;  // no more packets

  // The packet's time on the output timeline, in microseconds.
  int64_t time_of(const AVPacket *p) const {
    int64_t ts = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
    if (ts == AV_NOPTS_VALUE) return INT64_MIN;  // pass it on at once
    return av_rescale_q(ts, format->streams[p->stream_index]->time_base, kMicroseconds) - offset_us;
  }
};

SideMux::SideMux(const MuxTarget &out, const SideStreams &request) : out_(out) {
  if (!request.keep_from.empty()) keep_streams_of(request);
  if (!request.soundtrack.empty()) add_soundtrack(request);
}

SideMux::~SideMux() = default;

void SideMux::keep_streams_of(const SideStreams &request) {
  auto input = std::make_unique<Input>();
  input->path = request.keep_from;
  input->format = open_input(input->path, "streams to keep");
  AVFormatContext *fc = input->format.get();
  const int64_t origin =
      fc->start_time != AV_NOPTS_VALUE ? fc->start_time : 0;  // AV_TIME_BASE is microseconds
  input->offset_us = origin + request.span.start_us;
  input->tracks.resize(fc->nb_streams);

  // The first video stream (not cover art) is the one restyled: VideoReader's choice.
  const AVStream *video = nullptr;
  for (unsigned i = 0; i < fc->nb_streams && video == nullptr; ++i) {
    const AVStream *st = fc->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      video = st;
    }
  }
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    AVStream *st = fc->streams[i];
    st->discard = AVDISCARD_ALL;
    if (st == video) continue;
    SideStreamNote note;
    note.file = input->path;
    note.index = st->index;
    note.type = media_type(st);
    note.codec = avcodec_get_name(st->codecpar->codec_id);
    const std::string what = input->path.string() + " " + describe_stream(st);
    const int64_t offset = av_rescale_q(input->offset_us, kMicroseconds, st->time_base);
    const StreamPlan plan = plan_stream(out_.format->oformat, st);
    try {
      switch (plan.action) {
        case StreamAction::kCopy:
          input->tracks[i] =
              std::make_unique<StreamCopy>(out_, st, offset, request.span.duration_us, what);
          note.action = SideStreamNote::Action::kCopied;
          break;
        case StreamAction::kEncode:
          input->tracks[i] = std::make_unique<AudioTranscode>(
              out_, st, offset, request.span.duration_us, plan.encoder, 0.0, what);
          note.action = SideStreamNote::Action::kEncoded;
          note.detail = avcodec_get_name(plan.encoder);
          break;
        case StreamAction::kDrop:
          note.action = SideStreamNote::Action::kDropped;
          note.detail = plan.why;
          break;
      }
    } catch (const Error &e) {
      // One stream that cannot be set up (no decoder, say) does not stop the others or the
      // video: it is dropped, and the note says why.
      note.action = SideStreamNote::Action::kDropped;
      note.detail = e.what();
    }
    if (input->tracks[i]) st->discard = AVDISCARD_DEFAULT;
    notes_.push_back(std::move(note));
  }
  // Nothing to keep: the file need not be read at all.
  if (std::none_of(input->tracks.begin(), input->tracks.end(),
                   [](const auto &t) { return t != nullptr; })) {
    return;
  }

  // Start reading shortly before the span when the container can seek; else from the start
  // (the tracks leave out what lies before the span).
  if (request.span.start_us > kSeekMarginUs) {
    const int64_t target = input->offset_us - kSeekMarginUs;
    if (avformat_seek_file(fc, -1, INT64_MIN, target, target, 0) < 0) {
      input->format = open_input(input->path, "streams to keep");
      for (unsigned i = 0; i < input->format->nb_streams; ++i) {
        input->format->streams[i]->discard = input->tracks[i] ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
      }
    }
  }
  input->packet = make_packet();
  input->pending = make_packet();
  inputs_.push_back(std::move(input));
}

void SideMux::add_soundtrack(const SideStreams &request) {
  auto input = std::make_unique<Input>();
  input->path = request.soundtrack;
  input->format = open_input(input->path, "soundtrack");
  AVFormatContext *fc = input->format.get();
  const int index = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (index < 0) throw_error(input->path, "no audio stream to use as a soundtrack");
  input->offset_us = fc->start_time != AV_NOPTS_VALUE ? fc->start_time : 0;
  input->tracks.resize(fc->nb_streams);
  for (unsigned i = 0; i < fc->nb_streams; ++i) fc->streams[i]->discard = AVDISCARD_ALL;
  AVStream *st = fc->streams[index];
  st->discard = AVDISCARD_DEFAULT;
  const AVCodecID codec = audio_encoder_for(out_.format->oformat);
  const std::string what = input->path.string() + " " + describe_stream(st);
  input->tracks[index] = std::make_unique<AudioTranscode>(
      out_, st, av_rescale_q(input->offset_us, kMicroseconds, st->time_base), std::nullopt, codec,
      request.fade_out_seconds, what);
  SideStreamNote note;
  note.file = input->path;
  note.index = index;
  note.type = media_type(st);
  note.codec = avcodec_get_name(st->codecpar->codec_id);
  note.action = SideStreamNote::Action::kEncoded;
  note.detail = avcodec_get_name(codec);
  notes_.push_back(std::move(note));
  input->packet = make_packet();
  input->pending = make_packet();
  inputs_.push_back(std::move(input));
}

// Reads packets of `input` and hands them to their tracks until one lies at or after
// `until_us` (kept for the next call) or the file ends.
void SideMux::pump(Input &input, int64_t until_us) {
  while (!input.done) {
    AVPacket *p = input.pending.get();
    if (!input.has_pending) {
      const int err = av_read_frame(input.format.get(), input.packet.get());
      if (err == AVERROR_EOF) {
        input.done = true;
        break;
      }
      if (err < 0) throw_av_error(input.path, "cannot read a packet", err);
      av_packet_move_ref(p, input.packet.get());
      const auto index = static_cast<size_t>(p->stream_index);
      if (index >= input.tracks.size() || !input.tracks[index]) {
        av_packet_unref(p);
        continue;
      }
      input.has_pending = true;
    }
    if (input.time_of(p) >= until_us) return;
    input.has_pending = false;
    input.tracks[static_cast<size_t>(p->stream_index)]->push(p);
    av_packet_unref(p);
  }
}

void SideMux::write_until(int64_t until_us) {
  if (finished_) return;
  for (auto &input : inputs_) {
    pump(*input, until_us);
    for (auto &track : input->tracks) {
      if (track) track->write_until(until_us);
    }
  }
}

void SideMux::finish(int64_t end_us) {
  if (finished_) return;
  finished_ = true;
  for (auto &input : inputs_) {
    pump(*input, end_us + kReadPastEndUs);
    for (auto &track : input->tracks) {
      if (track) track->finish(end_us, input->done);
    }
  }
}

}  // namespace amused::media::detail
