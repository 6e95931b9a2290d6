#include "av_util.h"

#include "amused.h"

namespace amused::media::detail {

std::string Dictionary::keys() const {
  std::string out;
  const AVDictionaryEntry *e = nullptr;
  while ((e = av_dict_get(dict_, "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    if (!out.empty()) out += ", ";
    out += e->key;
  }
  return out;
}

std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(err, buf, sizeof buf) < 0) return "FFmpeg error " + std::to_string(err);
  return buf;
}

void throw_av_error(const std::filesystem::path &path, const std::string &what, int err) {
  throw Error(path.string() + ": " + what + ": " + av_error_string(err));
}

void throw_error(const std::filesystem::path &path, const std::string &what) {
  throw Error(path.string() + ": " + what);
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw Error("out of memory allocating an AVFrame");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw Error("out of memory allocating an AVPacket");
  return p;
}

}  // namespace amused::media::detail
