#include "stream_copy.h"

#include <utility>

namespace amused::media::detail {

StreamCopy::StreamCopy(const MuxTarget &out, const AVStream *in, int64_t offset,
                       std::optional<int64_t> span_end_us, std::string what)
    : out_(out),
      in_tb_(in->time_base),
      type_(in->codecpar->codec_type),
      offset_(offset),
      what_(std::move(what)) {
  if (span_end_us) span_end_ = av_rescale_q(*span_end_us, kMicroseconds, in_tb_);
  stream_ = avformat_new_stream(out_.format, nullptr);
  if (stream_ == nullptr) throw_error(out_.path, "cannot add a stream for " + what_);
  int err = avcodec_parameters_copy(stream_->codecpar, in->codecpar);
  if (err < 0) throw_av_error(out_.path, "cannot copy the parameters of " + what_, err);
  // The input container's tag (an AVI FourCC, say) means nothing in another container.
  stream_->codecpar->codec_tag = 0;
  stream_->time_base = in->time_base;  // a hint: the muxer picks its own
  stream_->disposition = in->disposition;
  err = av_dict_copy(&stream_->metadata, in->metadata, 0);
  if (err < 0) throw_av_error(out_.path, "cannot copy the metadata of " + what_, err);
}

void StreamCopy::push(AVPacket *packet) {
  if (type_ == AVMEDIA_TYPE_ATTACHMENT) return;
  int64_t start = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
  if (start == AV_NOPTS_VALUE) return;  // nowhere to put it
  start -= offset_;
  const int64_t length = packet->duration > 0 ? packet->duration : 0;
  const bool before = start + length <= 0 && !(start == 0 && length == 0);
  const bool audio_preroll =
      type_ == AVMEDIA_TYPE_AUDIO && out_.keeps_negative_times() && !started_;
  if (before && !audio_preroll) return;          // over before the span
  if (span_end_ && start >= *span_end_) return;  // after it
  if (start < 0 && type_ != AVMEDIA_TYPE_SUBTITLE && !out_.keeps_negative_times()) return;

  PacketPtr copy = make_packet();
  av_packet_move_ref(copy.get(), packet);
  if (copy->pts != AV_NOPTS_VALUE) copy->pts -= offset_;
  if (copy->dts != AV_NOPTS_VALUE) copy->dts -= offset_;
  if (before) {
    // Audio decoders start from the packet before (AAC's overlapping transforms): keep the
    // last one, hidden by the edit list like the start of the one that straddles 0.
    preroll_ = std::move(copy);
    return;
  }
  if (start < 0 && type_ == AVMEDIA_TYPE_SUBTITLE) {
    // A subtitle shown when the span starts: from 0 for the rest of its time.
    copy->pts = copy->dts = 0;
    copy->duration = start + length;
  }
  if (!started_ && preroll_) queue_.push_back(std::move(preroll_));
  started_ = true;
  queue_.push_back(std::move(copy));
}

void StreamCopy::write_before(int64_t limit_us, bool cut) {
  const int64_t limit = av_rescale_q(limit_us, kMicroseconds, in_tb_);
  while (!queue_.empty()) {
    AVPacket *p = queue_.front().get();
    const int64_t start = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    if (start >= limit) {
      if (!cut) return;
      queue_.pop_front();  // after the video's end
      continue;
    }
    // A subtitle still shown at `limit` may have to be cut at the video's end: wait for it.
    if (!cut && type_ == AVMEDIA_TYPE_SUBTITLE && p->duration > 0 && start + p->duration > limit) {
      return;
    }
    if (cut && type_ == AVMEDIA_TYPE_SUBTITLE && p->duration > 0 && start + p->duration > limit) {
      p->duration = limit - start;
    }
    av_packet_rescale_ts(p, in_tb_, stream_->time_base);
    p->stream_index = stream_->index;
    p->pos = -1;
    out_.write(p, what_);
    queue_.pop_front();
  }
}

void StreamCopy::write_until(int64_t until_us) { write_before(until_us, false); }

void StreamCopy::finish(int64_t end_us, bool /*input_done*/) { write_before(end_us, true); }

}  // namespace amused::media::detail
